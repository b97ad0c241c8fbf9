"""Settings for the city's IT: the LDAP/AD directory, OpenID Connect, room calendars (CalDAV).

Each group is off until its URL is set; they are read from FREESEAT_LDAP_*, FREESEAT_OIDC_* and
FREESEAT_CALDAV_* when `Settings` is built. docs/deployment-directory.md explains every one.
"""

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from server.domain.people import Role


class LdapSettings(BaseSettings):
    """Sign-in by binding as the person, and the staff list for `freeseat staff sync`."""

    model_config = SettingsConfigDict(env_prefix="FREESEAT_LDAP_", extra="ignore")

    url: str | None = Field(
        default=None, description="ldap://host:389 or ldaps://host:636; unset: no directory"
    )
    start_tls: bool = Field(default=False, description="upgrade ldap:// with StartTLS")
    ca_file: Path | None = Field(
        default=None, description="CA certificate(s) that signed the directory's certificate"
    )
    # A service account that may read people and groups (Active Directory allows no anonymous
    # search); unset means anonymous search.
    bind_dn: str | None = None
    bind_password: SecretStr | None = None
    base_dn: str = ""
    user_filter: str = Field(
        default="(&(objectClass=inetOrgPerson)(uid={staff_id}))",
        description="finds one person by staff id; AD: (&(objectClass=user)(sAMAccountName=...))",
    )
    people_filter: str = Field(
        default="(objectClass=inetOrgPerson)", description="every person `staff sync` reads"
    )
    disabled_filter: str | None = Field(
        default=None,
        description="matches disabled accounts; AD: (userAccountControl:1.2.840.113556.1.4.803:=2)",
    )
    staff_id_attribute: str = "uid"
    name_attribute: str = "displayName"
    name_ja_attribute: str | None = "displayName;lang-ja"
    email_attribute: str = "mail"
    department_attribute: str = "departmentNumber"
    # The directory's department values -> the site file's department ids (unmapped: kept).
    departments: dict[str, str] = Field(default_factory=dict)
    # Group DN -> role; a person in several groups gets the highest role, otherwise staff.
    group_roles: dict[str, Role] = Field(default_factory=dict)
    group_member_filter: str = Field(
        default="(|(member={dn})(uniqueMember={dn}))",
        description="is {dn} in the group; AD, nested: (member:1.2.840.113556.1.4.1941:={dn})",
    )
    timeout_s: float = Field(default=5.0, gt=0)

    @field_validator("user_filter")
    @classmethod
    def _has_staff_id(cls, value: str) -> str:
        if "{staff_id}" not in value:
            raise ValueError("the user filter must contain {staff_id}")
        return value

    @property
    def enabled(self) -> bool:
        return bool(self.url)


class OidcSettings(BaseSettings):
    """Single sign-on with OpenID Connect (Entra ID, Keycloak, ...): authorization code + PKCE."""

    model_config = SettingsConfigDict(env_prefix="FREESEAT_OIDC_", extra="ignore")

    issuer: str | None = Field(
        default=None, description="the provider's issuer URL; unset: no single sign-on"
    )
    client_id: str = ""
    client_secret: SecretStr | None = None
    # Where the provider sends people back; default: this server's /api/oidc/callback.
    redirect_url: str | None = None
    scopes: str = "openid profile email"
    staff_id_claim: str = Field(
        default="preferred_username", description="Entra ID: employeeId or onpremisessamaccountname"
    )
    department_claim: str = "department"
    groups_claim: str = "groups"
    # A value of the groups claim (a group's object id in Entra ID) -> role.
    group_roles: dict[str, Role] = Field(default_factory=dict)
    # The directory's department values -> the site file's department ids (unmapped: kept).
    departments: dict[str, str] = Field(default_factory=dict)
    ca_file: Path | None = None
    timeout_s: float = Field(default=10.0, gt=0)

    @property
    def enabled(self) -> bool:
        return bool(self.issuer)


class CaldavSettings(BaseSettings):
    """Two-way sync of each meeting room with a CalDAV calendar of its own."""

    model_config = SettingsConfigDict(env_prefix="FREESEAT_CALDAV_", extra="ignore")

    url: str | None = Field(
        default=None,
        description="the collection holding one calendar per room, at <url>/<room id>/",
    )
    # Rooms whose calendar lives elsewhere: room id -> calendar URL.
    calendars: dict[str, str] = Field(default_factory=dict)
    username: str | None = None
    password: SecretStr | None = None
    ca_file: Path | None = None
    sync_interval_s: float = Field(default=60.0, gt=0)
    # How far ahead bookings and events are compared.
    horizon_days: int = Field(default=366, ge=1, le=800)
    timeout_s: float = Field(default=15.0, gt=0)

    @property
    def enabled(self) -> bool:
        return bool(self.url or self.calendars)

    def calendar_url(self, room_id: str) -> str | None:
        """The room's calendar collection URL, or None when the room has none."""
        if room_id in self.calendars:
            return self.calendars[room_id]
        if self.url:
            return f"{self.url.rstrip('/')}/{room_id}/"
        return None
