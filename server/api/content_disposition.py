"""Content-Disposition for downloads (RFC 6266): any file name, safely, in every browser."""

import unicodedata
from urllib.parse import quote

# RFC 5987 attr-char beyond letters and digits: what `filename*` may carry unencoded.
ATTR_CHARS = "!#$&+-.^_`|~"


def content_disposition(disposition: str, filename: str) -> str:
    """`inline` or `attachment` with the name twice: an ASCII `filename` fallback and the exact
    UTF-8 name as `filename*` (RFC 5987). Control characters never reach the header."""
    clean = "".join(ch for ch in filename if not unicodedata.category(ch).startswith("C"))
    fallback = "".join(ch if " " <= ch <= "~" and ch not in '"\\%' else "_" for ch in clean)
    return (
        f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(clean, safe=ATTR_CHARS)}"
    )
