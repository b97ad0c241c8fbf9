"""PDF uploads read with pypdf: is it a PDF that opens, how many pages, any active content."""

import io
import logging

from pypdf import PdfReader
from pypdf.errors import PdfReadError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, PdfObject

from server.domain.meetings import PdfReading
from server.domain.refusals import Refusal, RefusalCode

# pypdf logs every repair it makes to a damaged file; those are the uploader's problem, told
# to them through the refusal or not at all, never the server log's.
logging.getLogger("pypdf").setLevel(logging.ERROR)

# Keys whose presence means the file can act on a viewer's machine: run script, launch a
# program, send or load data, carry files or media of its own, or act on open/close/focus.
ACTIVE_KEYS = {
    "/JS": "JavaScript",
    "/JavaScript": "JavaScript",
    "/AA": "AdditionalActions",
    "/EmbeddedFiles": "EmbeddedFiles",
    "/EmbeddedFile": "EmbeddedFiles",
    "/RichMedia": "RichMedia",
}
ACTIVE_ACTIONS = {
    "/JavaScript": "JavaScript",
    "/Launch": "Launch",
    "/SubmitForm": "SubmitForm",
    "/ImportData": "ImportData",
    "/RichMediaExecute": "RichMedia",
}
# Walking more objects than this means a file built to keep the server busy, not a document.
MAX_OBJECTS = 200_000


class PypdfInspector:
    """Reads an upload with pypdf (never trusting its name or declared type)."""

    def read(self, content: bytes) -> PdfReading | Refusal:
        """The pages and active content of `content`, or why it is not a PDF that opens."""
        if not content.lstrip()[:1024].startswith(b"%PDF-"):
            return Refusal(RefusalCode.NOT_PDF)
        # The end-of-file marker is what a complete upload ends with; pypdf would otherwise
        # rebuild a cut-off file from what arrived and count only the pages that made it.
        if b"%%EOF" not in content[-2048:]:
            return Refusal(RefusalCode.PDF_TRUNCATED)
        try:
            reader = PdfReader(io.BytesIO(content), strict=False)
            if reader.is_encrypted and not reader.decrypt(""):
                return Refusal(RefusalCode.PDF_ENCRYPTED)
            pages = len(reader.pages)
            active = _active_content(reader.trailer)
        except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
            # pypdf raises these, among others, for files it cannot make sense of.
            return Refusal(RefusalCode.PDF_UNREADABLE)
        return PdfReading(pages=pages, active_content=active)


def _active_content(trailer: DictionaryObject) -> tuple[str, ...]:
    """Every kind of active content reachable from the trailer, sorted; () for none."""
    found: set[str] = set()
    seen: set[tuple[int, int]] = set()
    stack: list[PdfObject] = [trailer]
    walked = 0
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            key = (item.idnum, item.generation)
            if key in seen:
                continue
            seen.add(key)
            walked += 1
            if walked > MAX_OBJECTS:
                raise ValueError("too many objects")
            resolved = item.get_object()
            if resolved is not None:
                stack.append(resolved)
        elif isinstance(item, DictionaryObject):
            _judge(item, found)
            stack.extend(item.values())
        elif isinstance(item, ArrayObject):
            stack.extend(item)
    return tuple(sorted(found))


def _judge(node: DictionaryObject, found: set[str]) -> None:
    for key, name in ACTIVE_KEYS.items():
        if key in node:
            found.add(name)
    action = node.get("/S")
    if isinstance(action, NameObject) and action in ACTIVE_ACTIONS:
        found.add(ACTIVE_ACTIONS[action])
    if node.get("/Subtype") == "/FileAttachment":
        found.add("EmbeddedFiles")
    opener = node.get("/OpenAction")
    if opener is not None:
        opener = opener.get_object()
        # Opening at a page is a destination (an array) or a GoTo; anything else acts.
        if isinstance(opener, DictionaryObject) and opener.get("/S") != "/GoTo":
            found.add("OpenAction")
