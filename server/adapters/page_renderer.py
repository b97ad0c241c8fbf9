"""Meeting materials' pages as images, drawn with PDFium (pypdfium2) and kept in a bounded
cache per material (by its SHA-256) and page, so a page shown to a room and forty phones is
drawn once."""

import struct
import threading
import zlib
from collections import OrderedDict

import pypdfium2 as pdfium

from server.domain.refusals import Refusal, RefusalCode

# Wide enough for a 1080p room screen; a phone scales it down.
PAGE_WIDTH_PX = 1600
CACHE_BYTES = 64 * 1024 * 1024


class PdfiumPageRenderer:
    """Renders pages to PNG; thread-safe (PDFium is not, so drawing is serialised)."""

    def __init__(self, width_px: int = PAGE_WIDTH_PX, cache_bytes: int = CACHE_BYTES) -> None:
        self._width = width_px
        self._limit = cache_bytes
        self._cache: OrderedDict[tuple[str, int], bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self._draw_lock = threading.Lock()

    def render(self, digest: str, content: bytes, page: int) -> bytes:
        """Page `page` (from 1) as PNG bytes, from the cache when it was drawn before."""
        key = (digest, page)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        with self._draw_lock:
            png = self._draw(content, page)
        with self._lock:
            if key not in self._cache:
                self._cache[key] = png
                self._size += len(png)
                while self._size > self._limit and len(self._cache) > 1:
                    _, dropped = self._cache.popitem(last=False)
                    self._size -= len(dropped)
        return png

    def _draw(self, content: bytes, page: int) -> bytes:
        try:
            document = pdfium.PdfDocument(content)
        except pdfium.PdfiumError:
            raise Refusal(RefusalCode.PDF_UNREADABLE) from None
        try:
            if not 1 <= page <= len(document):
                raise Refusal(RefusalCode.PAGE_OUT_OF_RANGE, pages=len(document))
            pdf_page = document[page - 1]
            scale = self._width / max(1.0, pdf_page.get_width())
            bitmap = pdf_page.render(scale=scale, rev_byteorder=True)
            return _png(bitmap.width, bitmap.height, bitmap.stride, bytes(bitmap.buffer))
        finally:
            document.close()


def _png(width: int, height: int, stride: int, rgb: bytes) -> bytes:
    """An 8-bit RGB PNG of rows `stride` bytes apart (no imaging library needed)."""
    row = width * 3
    raw = b"".join(b"\x00" + rgb[y * stride : y * stride + row] for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )
