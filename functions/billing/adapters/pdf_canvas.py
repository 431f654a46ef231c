"""The PDF drawing surface: A4 pages drawn with ReportLab, the Bitstream Vera fonts embedded.

The invoice's PDF copy is laid out in `billing.adapters.invoice_pdf` with a cursor running down the
page (top left origin); this module turns that into ReportLab canvas calls. The fonts are the
Bitstream Vera Sans regular and bold that ship inside the ReportLab package (free to redistribute,
`reportlab/fonts/bitstream-vera-license.txt`): embedded as subsets with a ToUnicode map, so every
reader shows the same glyphs (å ä ö €, the minus sign) and the text can be selected, searched and
extracted. The canvas is invariant (a fixed creation date and document id), so the same invoice
always gives the same bytes: a retried run or a republished page stores an identical file.

Importing this module loads ReportLab and Pillow (some 35-50 ms of CPU, more in wall time on a cold
Lambda), so only the PDF render imports it (`JinjaRenderer.render_pdf`).
"""

from __future__ import annotations

import threading
from functools import cache
from io import BytesIO
from pathlib import Path

import reportlab
from reportlab.lib.colors import Color, HexColor
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

A4_WIDTH, A4_HEIGHT = A4

_FONT_DIR = Path(reportlab.__file__).resolve().parent / "fonts"
REGULAR = "BillingSans"
BOLD = "BillingSans-Bold"
# Registered once per process (ReportLab keeps fonts in a global registry; each document gets its
# own subset of the glyphs it uses).
_FONTS = {
    REGULAR: TTFont(REGULAR, str(_FONT_DIR / "Vera.ttf")),
    BOLD: TTFont(BOLD, str(_FONT_DIR / "VeraBd.ttf")),
}
for _registered in _FONTS.values():
    pdfmetrics.registerFont(_registered)

# Saving a document subsets each font by moving one read position over the font file that the
# registered font shares with every document in the process: two documents saved at once read each
# other's glyphs (a wrong glyph, or an IndexError). Lambda runs one invocation per process; the local
# server's threads and a test's thread pool do not, so saves take turns.
_SAVING = threading.Lock()

# Characters Babel and our texts use that Vera lacks, and what stands in for them.
_SUBSTITUTES = str.maketrans(
    {
        "\u202f": "\xa0",  # narrow no-break space (Babel's Swedish grouping in some versions)
        "\u2009": " ",  # thin space
        "\u2011": "-",  # non-breaking hyphen
    }
)
_COVERED = frozenset(chr(c) for c in _FONTS[REGULAR].face.charToGlyph) & frozenset(
    chr(c) for c in _FONTS[BOLD].face.charToGlyph
)


def printable(text: str) -> str:
    """`text` with each character the fonts cannot draw as '?' (visibly lost rather than an empty box)."""
    text = text.translate(_SUBSTITUTES)
    if _COVERED.issuperset(text):
        return text
    return "".join(c if c in _COVERED else "?" for c in text)


def _font(bold: bool) -> str:
    return BOLD if bold else REGULAR


def text_width(text: str, size: float, bold: bool = False) -> float:
    """The width of `text` in points at font `size`."""
    return _width(printable(text), size, bold)


def _width(shown: str, size: float, bold: bool) -> float:
    return float(pdfmetrics.stringWidth(shown, _font(bold), size))


@cache
def _colour(hex_rgb: str) -> Color:
    return HexColor(hex_rgb)


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


class PdfDocument:
    """Draw on A4 pages with the origin at the top left (y grows downwards, in points)."""

    def __init__(self, title: str, author: str = "") -> None:
        self._buffer = BytesIO()
        # The first font named is ours, so the page never refers to a base-14 font it does not embed.
        self._canvas = Canvas(
            self._buffer,
            pagesize=A4,
            invariant=1,
            pageCompression=1,
            initialFontName=REGULAR,
            initialFontSize=10,
        )
        self._canvas.setTitle(title)
        self._canvas.setAuthor(author)
        self._canvas.setSubject(title)
        self._canvas.setCreator("billing")
        self._canvas.setProducer("billing (ReportLab)")
        self.page_count = 1

    def new_page(self) -> None:
        self._canvas.showPage()
        self.page_count += 1

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
        fit: float | None = None,
    ) -> None:
        """Write `text` with its baseline at `y`; `align` right puts its end at `x`, center its middle.
        Text wider than `fit` points is condensed to that width rather than running into its neighbour."""
        shown = printable(text)
        width = _width(shown, size, bold)
        scale = fit / width if fit is not None and width > fit else 1.0
        if align == "right":
            x -= width * scale
        elif align == "center":
            x -= width * scale / 2
        self._canvas.setFillColor(_colour(colour))
        if scale == 1.0:
            self._canvas.setFont(_font(bold), size)
            self._canvas.drawString(x, A4_HEIGHT - y, shown)
            return
        condensed = self._canvas.beginText(x, A4_HEIGHT - y)
        condensed.setFont(_font(bold), size)
        condensed.setHorizScale(scale * 100)
        condensed.textOut(shown)
        self._canvas.drawText(condensed)

    def line(
        self, x1: float, y1: float, x2: float, y2: float, *, width: float = 0.5, colour: str = "#000000"
    ) -> None:
        self._canvas.setStrokeColor(_colour(colour))
        self._canvas.setLineWidth(width)
        self._canvas.line(x1, A4_HEIGHT - y1, x2, A4_HEIGHT - y2)

    def box(self, x: float, y: float, w: float, h: float, *, colour: str) -> None:
        """A filled rectangle with its top left corner at (x, y)."""
        self._canvas.setFillColor(_colour(colour))
        self._canvas.rect(x, A4_HEIGHT - y - h, w, h, stroke=0, fill=1)

    def link(self, x: float, y: float, w: float, h: float, url: str) -> None:
        """A clickable area (top left corner at (x, y)) that opens `url`; only web addresses link."""
        if url.startswith(("https://", "http://")):
            rect = (x, A4_HEIGHT - y - h, x + w, A4_HEIGHT - y)
            self._canvas.linkURL(url, rect, relative=0, thickness=0)

    def to_bytes(self) -> bytes:
        """The finished file; the document is closed after."""
        self._canvas.showPage()  # the last page, even when nothing was drawn on it
        with _SAVING:
            self._canvas.save()
        return self._buffer.getvalue()
