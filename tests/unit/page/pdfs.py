"""Reading the invoice's PDF copy in tests the way a reader does: pypdf extracts its text."""

from __future__ import annotations

from io import BytesIO

from pypdf import PdfReader

NBSP = "\xa0"


def pdf_reader(pdf: bytes) -> PdfReader:
    return PdfReader(BytesIO(pdf), strict=True)


def pdf_text(pdf: bytes) -> str:
    """Every page's text as a reader copies it. The fonts draw a no-break space with the space's
    glyph, so it comes back as a space: compare with `spaced`."""
    return "\n".join(page.extract_text() for page in pdf_reader(pdf).pages)


def spaced(text: str) -> str:
    """`text` as it reads back from the PDF: no-break spaces as spaces."""
    return text.replace(NBSP, " ").replace("\u202f", " ")
