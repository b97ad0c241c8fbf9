"""Printable QR labels: A4 SVG pages of 21 desks, each code opening its desk's check-in page."""

import re
from dataclasses import dataclass
from html import escape

import segno

from firmware_config.site import Floor

PAGE_W, PAGE_H = 210.0, 297.0  # A4, millimetres
MARGIN = 10.0
COLUMNS, ROWS = 3, 7
QR_MM = 26.0


@dataclass(frozen=True, slots=True)
class LabelSheet:
    """One printable page."""

    number: int
    svg: str
    desks: list[str]


def checkin_url(base_url: str, desk_id: str) -> str:
    return f"{base_url.rstrip('/')}/checkin/{desk_id}"


def label_sheets(floor: Floor, base_url: str) -> list[LabelSheet]:
    """Every desk of `floor` as a label (QR code, desk id, how to use it), 21 to an A4 page."""
    per_page = COLUMNS * ROWS
    desks = [d.id for d in floor.desks]
    return [
        LabelSheet(n + 1, _page(floor, desks[i : i + per_page], base_url), desks[i : i + per_page])
        for n, i in enumerate(range(0, len(desks), per_page))
    ]


def _page(floor: Floor, desks: list[str], base_url: str) -> str:
    cell_w = (PAGE_W - 2 * MARGIN) / COLUMNS
    cell_h = (PAGE_H - 2 * MARGIN) / ROWS
    zone_of = {d.id: d.zone for d in floor.desks}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{PAGE_W}mm" height="{PAGE_H}mm" '
        f'viewBox="0 0 {PAGE_W} {PAGE_H}" font-family="sans-serif">',
        f"<title>freeseat QR labels, floor {escape(floor.id)}</title>",
        f'<rect width="{PAGE_W}" height="{PAGE_H}" fill="#fff"/>',
    ]
    for index, desk in enumerate(desks):
        x = MARGIN + (index % COLUMNS) * cell_w
        y = MARGIN + (index // COLUMNS) * cell_h
        url = checkin_url(base_url, desk)
        parts.append(
            f'<rect x="{x:.2f}" y="{y:.2f}" width="{cell_w:.2f}" height="{cell_h:.2f}" '
            'fill="none" stroke="#bbb" stroke-width="0.2" stroke-dasharray="1 1"/>'
        )
        qr_y = y + (cell_h - QR_MM) / 2
        parts.append(_qr(url, x + 3, qr_y))
        tx = x + QR_MM + 4
        parts.append(
            f'<text x="{tx:.2f}" y="{y + 12:.2f}" font-size="3.0" font-weight="bold">'
            f"{escape(desk)}</text>"
        )
        parts.append(
            f'<text x="{tx:.2f}" y="{y + 17:.2f}" font-size="2.8">'
            f"{escape(floor.name)} · {escape(zone_of[desk])}</text>"
        )
        parts.append(f'<text x="{tx:.2f}" y="{y + 24:.2f}" font-size="2.6">QRでチェックイン</text>')
        parts.append(f'<text x="{tx:.2f}" y="{y + 28:.2f}" font-size="2.6">Scan to check in</text>')
    parts.append("</svg>\n")
    return "\n".join(parts)


def _qr(url: str, x: float, y: float) -> str:
    code = segno.make(url, error="m")
    # segno draws the code in module units with a viewBox; place and size it in millimetres.
    inner = code.svg_inline(scale=1, border=2, omitsize=True)
    return re.sub(
        r"^<svg ", f'<svg x="{x:.2f}" y="{y:.2f}" width="{QR_MM}" height="{QR_MM}" ', inner
    )
