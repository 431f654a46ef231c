"""Request bodies the public handlers refuse before parsing, the security headers of their HTML, and
how a visitor's text is shown to support (billing.handlers.http, billing.services.invoice_pages)."""

from __future__ import annotations

import base64

import pytest

from billing.handlers.http import MAX_FORM_BYTES, BodyRefused, echoed, form_fields, html_headers, text_body
from billing.services.invoice_pages import visible


def _event(body: bytes, *, b64: bool) -> dict[str, object]:
    return {"body": base64.b64encode(body).decode() if b64 else body.decode(), "isBase64Encoded": b64}


def test_a_form_is_read_as_utf8_fields():
    assert form_fields(_event(b"text=Hej+d%C3%A5&line_id=", b64=False)) == {
        "text": "Hej då",
        "line_id": "",
    }
    assert form_fields(_event(b"score=9", b64=True)) == {"score": "9"}
    assert form_fields({"body": None}) == {}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"\xff\xfe\x00garbage", 400),  # raw bytes that are not UTF-8
        (b"text=%ff%fe", 400),  # percent-escapes of bytes that are not UTF-8
        (b"a=1&" * 30, 400),  # more fields than any page form has
        (b"a=" + b"x" * MAX_FORM_BYTES, 413),
    ],
    ids=["raw-bytes", "escaped-bytes", "too-many-fields", "too-large"],
)
def test_bodies_that_are_not_a_page_form_are_refused_naming_the_body(body, status):
    with pytest.raises(BodyRefused) as refused:
        form_fields(_event(body, b64=True))
    assert refused.value.status == status and refused.value.field == "body"


def test_a_large_base64_body_is_refused_before_it_is_decoded():
    with pytest.raises(BodyRefused) as refused:
        text_body({"body": "QUFB" * 100_000, "isBase64Encoded": True}, 1024)
    assert refused.value.status == 413


def test_html_answers_carry_the_security_headers():
    headers = html_headers("https://api.example", "https://pages.example")
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert (
        "form-action 'self' https://api.example https://pages.example" in headers["Content-Security-Policy"]
    )
    assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"


def test_echoed_values_are_cut_short():
    assert echoed("x" * 10_000_000) == "x" * 64 and echoed(None) == ""


def test_invisible_characters_in_a_question_are_shown_to_support_as_code_points():
    assert (
        visible("pay\u202etxt.exe\x00\u200b ok\nnext\tline")
        == "pay[U+202E]txt.exe[U+0000][U+200B] ok\nnext\tline"
    )
    assert visible("Åsa frågar om 5 000 kr") == "Åsa frågar om 5 000 kr"
