"""The one place refusals become HTTP: a status per code, and words in the reader's language.

An answer is `{"code": ..., "detail": <words>, <facts>...}`. The words are the dashboard's
(`dashboard/i18n/<lang>.json`, key `errors.<code>`), so the pages and the API say the same
thing; the language comes from `?lang=`, the `lang` cookie the pages set, or Accept-Language,
and is English otherwise.
"""

import json
import re
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from importlib import resources

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from server.domain.refusals import Fact, Refusal, RefusalCode

C = RefusalCode
STATUS: Mapping[RefusalCode, int] = {
    # desks and seats
    C.DESK_UNKNOWN: 404,
    C.DESK_NOT_READY: 404,
    C.DESK_OUT_OF_SERVICE: 409,
    C.DESK_HELD: 409,
    C.DESK_TAKEN: 409,
    C.DESK_JUST_TAKEN: 409,
    C.DESK_BEING_CLAIMED: 409,
    C.DESK_ALREADY_YOURS: 409,
    C.SEAT_ALREADY_HELD: 409,
    C.SEAT_ELSEWHERE: 409,
    C.NO_SEAT: 404,
    C.NOT_HOLDER: 409,
    C.ALREADY_CHECKED_IN: 409,
    C.CLAIMS_CLOSED: 409,
    C.ANTI_FIXATION: 409,
    C.NO_FREE_DESK: 409,
    C.IDEMPOTENCY_KEY_REUSED: 422,
    C.IDEMPOTENCY_KEY_IN_USE: 409,
    C.FLOOR_UNKNOWN: 404,
    # rooms and bookings
    C.ROOMS_NOT_SET_UP: 503,
    C.ROOM_UNKNOWN: 404,
    C.LINK_INVALID: 403,
    C.TIME_WITHOUT_OFFSET: 400,
    C.BOOKING_ENDS_BEFORE_START: 400,
    C.BOOKING_TOO_LONG: 400,
    C.BOOKING_IN_PAST: 400,
    C.BOOKING_REPEATS_OUT_OF_RANGE: 400,
    C.BOOKING_TITLE_INVALID: 400,
    C.BOOKING_OVERLAP: 409,
    C.BOOKING_UNKNOWN: 404,
    C.BOOKING_NOT_ACTIVE: 409,
    C.HOST_ONLY: 403,
    C.MONTH_INVALID: 400,
    # pairing and sessions
    C.CODE_MALFORMED: 400,
    C.CODE_WRONG: 403,
    C.TOO_MANY_ATTEMPTS: 429,
    C.ROOM_REQUIRED: 400,
    C.ROOM_IN_SESSION: 409,
    C.ROOM_JUST_STARTED: 409,
    C.BOOKED_BY_ANOTHER: 409,
    C.SESSION_UNKNOWN: 404,
    C.SESSION_ENDED: 409,
    C.MEETING_LINK_INVALID: 404,
    C.MEETING_LINK_EXPIRED: 410,
    # materials
    C.MATERIAL_KIND_INVALID: 400,
    C.MATERIAL_UNKNOWN: 404,
    C.PAGE_OUT_OF_RANGE: 400,
    C.FILENAME_NOT_PDF: 400,
    C.FILENAME_INVALID: 400,
    C.UPLOAD_NOT_PDF_TYPE: 415,
    C.PDF_EMPTY: 400,
    C.PDF_TOO_LARGE: 413,
    C.NOT_PDF: 415,
    C.PDF_UNREADABLE: 400,
    C.PDF_TRUNCATED: 400,
    C.PDF_ENCRYPTED: 400,
    C.PDF_NO_PAGES: 400,
    C.PDF_TOO_MANY_PAGES: 413,
    C.PDF_ACTIVE_CONTENT: 422,
    # signing in
    C.SIGN_IN_REQUIRED: 401,
    C.CSRF_INVALID: 403,
    C.ROLE_REQUIRED: 403,
    C.BAD_CREDENTIALS: 401,
    C.PASSWORD_REQUIRED: 401,
    C.PERSON_UNKNOWN: 401,
    C.SIGN_IN_THROTTLED: 429,
    C.SIGN_IN_BUSY: 503,
    C.METRICS_TOKEN_REQUIRED: 401,
    # any request
    C.BODY_TOO_LARGE: 413,
    # devices
    C.DEVICE_UNKNOWN: 404,
    C.DEVICE_BRIDGED: 409,
    C.REVOCATION_NOT_SET_UP: 503,
    # Wi-Fi location
    C.WIFI_NOT_SET_UP: 503,
    C.SHARING_OFF: 409,
    C.BSSID_INVALID: 422,
    C.BSSID_UNKNOWN: 422,
    # the city's IT
    C.DIRECTORY_UNREACHABLE: 503,
    C.ACCOUNT_DISABLED: 403,
    C.SSO_NOT_SET_UP: 503,
    C.SSO_PROVIDER_UNREACHABLE: 503,
    C.SSO_STATE_INVALID: 400,
    C.SSO_CODE_REJECTED: 401,
    C.SSO_DENIED: 401,
    C.SSO_NO_STAFF_ID: 401,
    C.TOKEN_NEEDS_BROWSER: 403,
    C.TOO_MANY_TOKENS: 409,
    C.TOKEN_UNKNOWN: 404,
    C.CALENDARS_NOT_SET_UP: 503,
    C.CALENDAR_UNREACHABLE: 503,
    # facilities insight and remote work
    C.MONTH_RANGE_INVALID: 400,
    C.REMOTE_WHILE_SEATED: 409,
}
LANGUAGES = ("en", "ja")
DEFAULT_LANGUAGE = "en"
LANG_COOKIE = "lang"
PLACEHOLDER = re.compile(r"\{(\w+)(?::(\w+))?\}")


@cache
def catalogue(lang: str) -> Mapping[str, str]:
    """The dashboard's strings in `lang`, read once from the shipped JSON file."""
    text = resources.files("dashboard").joinpath("i18n", f"{lang}.json").read_text("utf-8")
    strings: dict[str, str] = json.loads(text)
    return strings


def language(request: Request) -> str:
    """The reader's language: `?lang=`, the `lang` cookie, Accept-Language, else English."""
    for chosen in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if chosen in LANGUAGES:
            return chosen
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LANGUAGES:
            return tag
    return DEFAULT_LANGUAGE


def words(refusal: Refusal, lang: str, labels: Mapping[str, str] | None = None) -> str:
    """The refusal said in `lang`: the catalogue's `errors.<code>` with the facts filled in
    (ids by their `labels`, e.g. a desk's "3F A-04-04", where given)."""
    key = f"errors.{refusal.code.value}"
    template = catalogue(lang).get(key) or catalogue(DEFAULT_LANGUAGE)[key]
    # A fact `x_ja` (a host's Japanese name) stands in for `x` in Japanese when it has a value.
    in_japanese = {
        name[:-3]: value
        for name, value in refusal.facts.items()
        if lang == "ja" and name.endswith("_ja") and value
    }
    shown = {**refusal.facts, **in_japanese, **(labels or {})}
    return PLACEHOLDER.sub(lambda m: _fact(shown.get(m[1]), m[2], lang), template)


def _fact(value: Fact | None, style: str | None, lang: str) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%H:%M" if style == "time" else "%Y-%m-%d %H:%M")
    if isinstance(value, tuple):
        return ("、" if lang == "ja" else ", ").join(value)
    return str(value)


def answer_invalid(request: Request, error: RequestValidationError) -> JSONResponse:
    """422 for a request that fails validation: where and what, never the input itself.

    FastAPI's own answer echoes each bad value: a 30 MB body came back as a 30 MB error, and a
    NaN (which JSON cannot carry) turned the 422 into a 500.
    """
    problems = [
        {
            "loc": [str(part) for part in e.get("loc", ())],
            "msg": str(e.get("msg", "")),
            "type": str(e.get("type", "")),
        }
        for e in error.errors()[:MAX_PROBLEMS]
    ]
    return JSONResponse({"detail": problems}, status_code=422)


# A body can fail in thousands of places; the first few say what to fix.
MAX_PROBLEMS = 20


def _labels(request: Request, refusal: Refusal, lang: str) -> dict[str, str]:
    app = request.scope.get("app")
    runtime = getattr(app.state, "runtime", None) if app is not None else None
    if runtime is None:
        return {}
    out = {}
    for name, value in refusal.facts.items():
        if isinstance(value, str):
            label = runtime.labels.of_fact(name, value, lang)
            if label is not None and label != value:
                out[name] = label
    return out


def answer(request: Request, refusal: Refusal) -> JSONResponse:
    """The HTTP answer to a refusal: its status, code, words and facts."""
    facts = {
        name: value.isoformat() if isinstance(value, datetime) else value
        for name, value in refusal.facts.items()
    }
    headers = {}
    retry = refusal.facts.get("retry_after_s")
    if isinstance(retry, int):
        headers["Retry-After"] = str(retry)
    if refusal.code is C.METRICS_TOKEN_REQUIRED:
        headers["WWW-Authenticate"] = 'Bearer realm="freeseat metrics"'
    lang = language(request)
    labels = _labels(request, refusal, lang)
    body: dict[str, object] = {
        "code": refusal.code.value,
        "detail": words(refusal, lang, labels),
        **facts,
    }
    if labels:
        body["labels"] = labels  # what pages say instead of the ids among the facts
    return JSONResponse(body, status_code=STATUS[refusal.code], headers=headers)
