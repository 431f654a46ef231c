"""A small PDF writer for the invoice's PDF copy: text, lines and filled boxes on A4 pages, pure bytes.

Lambda has no browser to print the page, so the copy is drawn directly: the PDF standard fonts
Helvetica and Helvetica-Bold (every reader has them, nothing is embedded) in WinAnsiEncoding, which
covers Swedish. Text is measured with the fonts' advance widths (below, per 1000 units of font size,
for WinAnsi codes 32-255; measured from Liberation Sans, which is metric-compatible with Helvetica), so
amounts can be right-aligned and long descriptions wrapped. Streams are Flate-compressed and the
output depends only on the input, so the same invoice always gives the same bytes.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

A4_WIDTH = 595.28
A4_HEIGHT = 841.89

# Characters WinAnsi lacks that Babel and our texts use, and what stands in for them.
_SUBSTITUTES = {
    "\u2212": "-",  # minus sign
    "\u202f": "\xa0",  # narrow no-break space
    "\u2009": " ",  # thin space
    "\u2011": "-",  # non-breaking hyphen
}

# fmt: off
_REGULAR = (
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, 365,
    556, 0, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0,
    0, 222, 222, 333, 333, 350, 556, 1000, 333, 1000, 500, 333, 944, 0, 500, 667,
    278, 333, 556, 556, 556, 556, 260, 556, 333, 737, 370, 556, 584, 0, 737, 552,
    400, 549, 333, 333, 333, 576, 537, 278, 333, 333, 365, 556, 834, 834, 834, 611,
    667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278,
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611,
    556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 549, 611, 556, 556, 556, 556, 500, 556, 500,
)
_BOLD = (
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611,
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556,
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611,
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, 365,
    556, 0, 278, 556, 500, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0,
    0, 278, 278, 500, 500, 350, 556, 1000, 333, 1000, 556, 333, 944, 0, 500, 667,
    278, 333, 556, 556, 556, 556, 280, 556, 333, 737, 370, 556, 584, 0, 737, 552,
    400, 549, 333, 333, 333, 576, 556, 278, 333, 333, 365, 556, 834, 834, 834, 611,
    722, 722, 722, 722, 722, 722, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278,
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611,
    556, 556, 556, 556, 556, 556, 889, 556, 556, 556, 556, 556, 278, 278, 278, 278,
    611, 611, 611, 611, 611, 611, 611, 549, 611, 611, 611, 611, 611, 556, 611, 556,
)
# fmt: on


def encode(text: str) -> bytes:
    """`text` in WinAnsi (cp1252); a character it cannot hold becomes '?' rather than failing."""
    text = "".join(_SUBSTITUTES.get(c, c) for c in text)
    return text.encode("cp1252", errors="replace")


def text_width(text: str, size: float, bold: bool = False) -> float:
    """The width of `text` in points at font `size`."""
    widths = _BOLD if bold else _REGULAR
    total = 0
    for byte in encode(text):
        total += widths[byte - 32] if byte >= 32 and widths[byte - 32] else 556
    return total * size / 1000


def wrap(text: str, size: float, width: float, bold: bool = False) -> list[str]:
    """`text` broken at spaces into lines no wider than `width` (a single long word is cut)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if text_width(candidate, size, bold) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        while text_width(word, size, bold) > width and len(word) > 1:
            cut = len(word)
            while cut > 1 and text_width(word[:cut], size, bold) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current or not lines:
        lines.append(current)
    return lines


def _literal(text: str) -> bytes:
    raw = encode(text)
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _rgb(colour: str) -> str:
    """'#rrggbb' -> 'r g b' in 0..1 for PDF colour operators."""
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return f"{r:.3f} {g:.3f} {b:.3f}"


@dataclass
class _Page:
    ops: list[bytes] = field(default_factory=list)
    links: list[tuple[float, float, float, float, str]] = field(default_factory=list)


class PdfDocument:
    """Draw on A4 pages with the origin at the top left (y grows downwards, in points)."""

    def __init__(self, title: str, author: str = "") -> None:
        self.title = title
        self.author = author
        self.pages: list[_Page] = []
        self.new_page()

    def new_page(self) -> None:
        self.pages.append(_Page())

    @property
    def _page(self) -> _Page:
        return self.pages[-1]

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        size: float = 10,
        bold: bool = False,
        align: str = "left",
        colour: str = "#000000",
    ) -> None:
        """Write `text` with its baseline at `y`; `align` right puts its end at `x`."""
        if align == "right":
            x -= text_width(text, size, bold)
        elif align == "center":
            x -= text_width(text, size, bold) / 2
        font = b"/F2" if bold else b"/F1"
        self._page.ops.append(
            b"BT %s rg %s %.2f Tf %.2f %.2f Td %s Tj ET"
            % (_rgb(colour).encode(), font, size, x, A4_HEIGHT - y, _literal(text))
        )

    def line(
        self, x1: float, y1: float, x2: float, y2: float, *, width: float = 0.5, colour: str = "#000000"
    ) -> None:
        self._page.ops.append(
            b"%s RG %.2f w %.2f %.2f m %.2f %.2f l S"
            % (_rgb(colour).encode(), width, x1, A4_HEIGHT - y1, x2, A4_HEIGHT - y2)
        )

    def box(self, x: float, y: float, w: float, h: float, *, colour: str) -> None:
        """A filled rectangle with its top left corner at (x, y)."""
        self._page.ops.append(
            b"%s rg %.2f %.2f %.2f %.2f re f" % (_rgb(colour).encode(), x, A4_HEIGHT - y - h, w, h)
        )

    def link(self, x: float, y: float, w: float, h: float, url: str) -> None:
        """A clickable area (top left corner at (x, y)) that opens `url`."""
        if url.startswith(("https://", "http://")):
            self._page.links.append((x, A4_HEIGHT - y - h, x + w, A4_HEIGHT - y, url))

    def to_bytes(self) -> bytes:
        objects: list[bytes] = []

        def add(body: bytes) -> int:
            objects.append(body)
            return len(objects)

        catalog = add(b"")  # filled in below, once the page tree's number is known
        pages_id = add(b"")
        regular = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
        bold = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
        kids = []
        for page in self.pages:
            stream = zlib.compress(b"\n".join(page.ops), 9)
            content = add(
                b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(stream), stream)
            )
            annots = []
            for x1, y1, x2, y2, url in page.links:
                annots.append(
                    add(
                        b"<< /Type /Annot /Subtype /Link /Rect [%.2f %.2f %.2f %.2f] /Border [0 0 0] "
                        b"/A << /S /URI /URI %s >> >>" % (x1, y1, x2, y2, _literal(url))
                    )
                )
            annot_refs = b" ".join(b"%d 0 R" % a for a in annots)
            kids.append(
                add(
                    b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %.2f %.2f] /Contents %d 0 R "
                    b"/Resources << /Font << /F1 %d 0 R /F2 %d 0 R >> >> /Annots [%s] >>"
                    % (pages_id, A4_WIDTH, A4_HEIGHT, content, regular, bold, annot_refs)
                )
            )
        objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id
        objects[pages_id - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
            b" ".join(b"%d 0 R" % k for k in kids),
            len(kids),
        )
        info = add(
            b"<< /Title %s /Author %s /Producer (billing) >>" % (_literal(self.title), _literal(self.author))
        )
        out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(objects, start=1):
            offsets.append(len(out))
            out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
        for offset in offsets:
            out += b"%010d 00000 n \n" % offset
        out += b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
            len(objects) + 1,
            catalog,
            info,
            xref,
        )
        return bytes(out)
