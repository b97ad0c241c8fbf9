// A real OpenID provider for the tests: the certified `oidc-provider` package, installed from
// the npm registry at test time (never committed). Run as:
//   node oidc_provider.mjs <path to oidc-provider's package folder> <port>
// Its clock can be moved forward by the tests (GET /__test/clock?advance=S, ?reset=1), so an
// expired authorization code needs no waiting.
import { pathToFileURL } from "node:url";
import path from "node:path";

const [, , packageDir, port] = process.argv;
const { default: Provider } = await import(pathToFileURL(path.join(packageDir, "lib", "index.js")).href);

const realNow = Date.now.bind(Date);
let offsetMs = 0;
Date.now = () => realNow() + offsetMs;

// The city's people as the identity provider knows them (Entra ID / Keycloak accounts).
const ACCOUNTS = {
  "tanaka-sso": {
    sub: "5f0c-1001", preferred_username: "tanaka", name: "Tanaka Yui",
    email: "tanaka@cityhall.example", email_verified: true, department: "Tax Division", groups: [],
  },
  "sato-sso": {
    sub: "5f0c-1002", preferred_username: "sato", name: "Sato Ken",
    email: "sato@cityhall.example", email_verified: true, department: "Welfare Division",
    groups: ["g-facilities"],
  },
  "contractor": { sub: "5f0c-9001", name: "Visiting Contractor", email: "c@example.org", groups: [] },
};

const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [],
  features: {
    devInteractions: { enabled: true },
    registration: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  claims: {
    openid: ["sub"],
    profile: ["name", "preferred_username", "department", "groups"],
    email: ["email", "email_verified"],
  },
  cookies: { keys: ["freeseat-test-cookie-key"] },
  async findAccount(ctx, id) {
    const claims = ACCOUNTS[id];
    if (!claims) return undefined;
    return { accountId: id, async claims() { return { ...claims }; } };
  },
  // The city has consented for its staff: no consent screen.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope("openid profile email");
    await grant.save();
    return grant;
  },
});
provider.proxy = false;

provider.use(async (ctx, next) => {
  if (ctx.path === "/__test/clock") {
    if (ctx.query.advance) offsetMs += Number(ctx.query.advance) * 1000;
    if (ctx.query.reset) offsetMs = 0;
    ctx.body = { offset_s: offsetMs / 1000 };
    return;
  }
  await next();
});

provider.listen(Number(port), "127.0.0.1", () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
