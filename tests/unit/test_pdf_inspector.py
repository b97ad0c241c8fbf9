"""Uploads read with pypdf: real PDFs open and count right, others are refused by name."""

import io
import re

from pypdf import PdfReader, PdfWriter
from pypdf.actions import JavaScript

from server.adapters.pdf_inspector import PypdfInspector
from server.domain.meetings import PdfReading
from server.domain.refusals import Refusal, RefusalCode
from tests.room_support import make_pdf


def blank_pdf(pages: int) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_plain_pdf_opens_and_its_pages_are_counted() -> None:
    inspector = PypdfInspector()
    assert inspector.read(make_pdf(7)) == PdfReading(pages=7)
    assert inspector.read(blank_pdf(3)) == PdfReading(pages=3)


def test_an_incrementally_saved_pdf_counts_its_pages_once() -> None:
    first = blank_pdf(2)
    # Saved again the way editors do: the changed page is appended, the old one stays in the
    # file. Counting page objects in the bytes would find three.
    writer = PdfWriter(io.BytesIO(first), incremental=True)
    writer.pages[0].rotate(90)
    out = io.BytesIO()
    writer.write(out)
    saved = out.getvalue()
    assert saved.startswith(first)
    assert len(re.findall(rb"/Type\s*/Page(?!s)", saved)) == 3
    assert len(PdfReader(io.BytesIO(saved)).pages) == 2
    assert PypdfInspector().read(saved) == PdfReading(pages=2)


def test_files_that_are_not_whole_pdfs_are_refused_with_the_reason() -> None:
    inspector = PypdfInspector()
    assert inspector.read(b"PK\x03\x04 a zip") == Refusal(RefusalCode.NOT_PDF)
    assert inspector.read(make_pdf(2)[:-20]) == Refusal(RefusalCode.PDF_TRUNCATED)
    assert inspector.read(b"%PDF-1.7\n" + b"\x00garbage" * 50 + b"\n%%EOF\n") == Refusal(
        RefusalCode.PDF_UNREADABLE
    )


def test_pdfs_that_would_run_something_on_a_viewers_machine_are_flagged() -> None:
    inspector = PypdfInspector()
    scripted = PdfWriter()
    scripted.add_blank_page(width=595, height=842)
    scripted.add_open_action(JavaScript("app.alert('hello');"))
    out = io.BytesIO()
    scripted.write(out)
    reading = inspector.read(out.getvalue())
    assert isinstance(reading, PdfReading) and "JavaScript" in reading.active_content

    carrying = PdfWriter()
    carrying.add_blank_page(width=595, height=842)
    carrying.add_attachment("payload.exe", b"MZ")
    out = io.BytesIO()
    carrying.write(out)
    reading = inspector.read(out.getvalue())
    assert isinstance(reading, PdfReading) and reading.active_content == ("EmbeddedFiles",)
