"""Refusals: why a request cannot be granted, as a code and the facts, never as words.

The domain and the services raise (or return) a `Refusal`; only server.api turns its code into
an HTTP status and into words in the reader's language (the dashboard's i18n catalogue,
`errors.<code>`), filling in the facts.
"""

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum

# What a fact may be: plain values the API can put in JSON and in a sentence.
Fact = str | int | float | bool | datetime | tuple[str, ...]
# The answer's own keys: a fact must not shadow them.
RESERVED = frozenset({"code", "detail", "labels"})


class RefusalCode(StrEnum):
    """Every reason a request can be refused; each has a status and words in server.api."""

    # desks and seats
    DESK_UNKNOWN = "desk_unknown"
    DESK_NOT_READY = "desk_not_ready"
    DESK_OUT_OF_SERVICE = "desk_out_of_service"
    DESK_HELD = "desk_held"
    DESK_TAKEN = "desk_taken"
    DESK_JUST_TAKEN = "desk_just_taken"
    DESK_BEING_CLAIMED = "desk_being_claimed"
    DESK_ALREADY_YOURS = "desk_already_yours"
    SEAT_ALREADY_HELD = "seat_already_held"
    SEAT_ELSEWHERE = "seat_elsewhere"
    NO_SEAT = "no_seat"
    NOT_HOLDER = "not_holder"
    ALREADY_CHECKED_IN = "already_checked_in"
    CLAIMS_CLOSED = "claims_closed"
    ANTI_FIXATION = "anti_fixation"
    NO_FREE_DESK = "no_free_desk"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    IDEMPOTENCY_KEY_IN_USE = "idempotency_key_in_use"
    FLOOR_UNKNOWN = "floor_unknown"
    # rooms and bookings
    ROOMS_NOT_SET_UP = "rooms_not_set_up"
    ROOM_UNKNOWN = "room_unknown"
    LINK_INVALID = "link_invalid"
    TIME_WITHOUT_OFFSET = "time_without_offset"
    BOOKING_ENDS_BEFORE_START = "booking_ends_before_start"
    BOOKING_TOO_LONG = "booking_too_long"
    BOOKING_IN_PAST = "booking_in_past"
    BOOKING_REPEATS_OUT_OF_RANGE = "booking_repeats_out_of_range"
    BOOKING_TITLE_INVALID = "booking_title_invalid"
    BOOKING_OVERLAP = "booking_overlap"
    BOOKING_UNKNOWN = "booking_unknown"
    BOOKING_NOT_ACTIVE = "booking_not_active"
    HOST_ONLY = "host_only"
    MONTH_INVALID = "month_invalid"
    # pairing and sessions
    CODE_MALFORMED = "code_malformed"
    CODE_WRONG = "code_wrong"
    TOO_MANY_ATTEMPTS = "too_many_attempts"
    ROOM_REQUIRED = "room_required"
    ROOM_IN_SESSION = "room_in_session"
    ROOM_JUST_STARTED = "room_just_started"
    BOOKED_BY_ANOTHER = "booked_by_another"
    SESSION_UNKNOWN = "session_unknown"
    SESSION_ENDED = "session_ended"
    MEETING_LINK_INVALID = "meeting_link_invalid"
    MEETING_LINK_EXPIRED = "meeting_link_expired"
    # materials
    MATERIAL_KIND_INVALID = "material_kind_invalid"
    MATERIAL_UNKNOWN = "material_unknown"
    PAGE_OUT_OF_RANGE = "page_out_of_range"
    FILENAME_NOT_PDF = "filename_not_pdf"
    FILENAME_INVALID = "filename_invalid"
    UPLOAD_NOT_PDF_TYPE = "upload_not_pdf_type"
    PDF_EMPTY = "pdf_empty"
    PDF_TOO_LARGE = "pdf_too_large"
    NOT_PDF = "not_pdf"
    PDF_UNREADABLE = "pdf_unreadable"
    PDF_TRUNCATED = "pdf_truncated"
    PDF_ENCRYPTED = "pdf_encrypted"
    PDF_NO_PAGES = "pdf_no_pages"
    PDF_TOO_MANY_PAGES = "pdf_too_many_pages"
    PDF_ACTIVE_CONTENT = "pdf_active_content"
    # signing in
    SIGN_IN_REQUIRED = "sign_in_required"
    CSRF_INVALID = "csrf_invalid"
    ROLE_REQUIRED = "role_required"
    BAD_CREDENTIALS = "bad_credentials"
    PASSWORD_REQUIRED = "password_required"
    PERSON_UNKNOWN = "person_unknown"
    SIGN_IN_THROTTLED = "sign_in_throttled"
    SIGN_IN_BUSY = "sign_in_busy"
    METRICS_TOKEN_REQUIRED = "metrics_token_required"
    # any request
    BODY_TOO_LARGE = "body_too_large"
    # devices
    DEVICE_UNKNOWN = "device_unknown"
    DEVICE_BRIDGED = "device_bridged"
    REVOCATION_NOT_SET_UP = "revocation_not_set_up"
    # Wi-Fi location
    WIFI_NOT_SET_UP = "wifi_not_set_up"
    SHARING_OFF = "sharing_off"
    BSSID_INVALID = "bssid_invalid"
    BSSID_UNKNOWN = "bssid_unknown"
    # the city's IT: directory, single sign-on, personal tokens, room calendars
    DIRECTORY_UNREACHABLE = "directory_unreachable"
    ACCOUNT_DISABLED = "account_disabled"
    SSO_NOT_SET_UP = "sso_not_set_up"
    SSO_PROVIDER_UNREACHABLE = "sso_provider_unreachable"
    SSO_STATE_INVALID = "sso_state_invalid"
    SSO_CODE_REJECTED = "sso_code_rejected"
    SSO_DENIED = "sso_denied"
    SSO_NO_STAFF_ID = "sso_no_staff_id"
    TOKEN_NEEDS_BROWSER = "token_needs_browser"
    TOO_MANY_TOKENS = "too_many_tokens"
    TOKEN_UNKNOWN = "token_unknown"
    CALENDARS_NOT_SET_UP = "calendars_not_set_up"
    CALENDAR_UNREACHABLE = "calendar_unreachable"
    # facilities insight and remote work
    MONTH_RANGE_INVALID = "month_range_invalid"
    REMOTE_WHILE_SEATED = "remote_while_seated"


class Refusal(Exception):
    """A request that cannot be granted: a `code` and the `facts` it is about (desk, until...).

    Facts left as None are dropped. Two refusals are equal when code and facts are.
    """

    def __init__(self, code: RefusalCode, /, **facts: Fact | None) -> None:
        clash = RESERVED & facts.keys()
        if clash:
            raise ValueError(f"facts {sorted(clash)} would shadow the answer's own keys")
        kept = {name: value for name, value in facts.items() if value is not None}
        super().__init__(code.value, kept)
        self.code = code
        self.facts: Mapping[str, Fact] = kept

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Refusal) and self.code == other.code and self.facts == other.facts

    def __hash__(self) -> int:
        return hash((self.code, tuple(sorted(self.facts))))

    def __repr__(self) -> str:
        facts = ", ".join(f"{name}={value!r}" for name, value in self.facts.items())
        return f"Refusal({self.code.value}{', ' if facts else ''}{facts})"

    def __str__(self) -> str:
        return repr(self)
