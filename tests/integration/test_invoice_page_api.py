"""The invoice page's API on the local stack: views, questions (with and without JavaScript), feedback."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from datetime import date

import pytest

from billing.wiring.core import audit_trail, invoice_ledger
from infra import demo
from infra.local_run import run_billing
from tests.integration.helpers import emails_to, fetch, invoices_of

pytestmark = pytest.mark.integration

RUN_DATE = date(2026, 11, 1)
TODAY = date(2026, 11, 23)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def _post(url: str, fields: dict[str, str], accept: str | None = None) -> tuple[int, dict[str, str], str]:
    data = urllib.parse.urlencode(fields).encode()
    request = urllib.request.Request(url, data=data, method="POST")
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    if accept:
        request.add_header("Accept", accept)
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode("utf-8", "replace")


@pytest.fixture
def issued(local_env, tenant_id):
    demo.seed(1, TODAY, tenant_id, RUN_DATE)
    run_billing(tenant_id, RUN_DATE)
    (invoice,) = invoices_of(tenant_id)
    return local_env, tenant_id, invoice


def test_the_view_pixel_counts_views_and_never_reveals_unknown_links(issued):
    local_env, tenant_id, invoice = issued
    base = local_env.server.url
    # When the page's pixel is loaded twice, and an unknown token once
    for _ in range(2):
        status, headers, _ = fetch(f"{base}/v1/pages/{invoice.page_token}/seen")
        assert status == 200 and headers["Content-Type"] == "image/gif"
    status, _, _ = fetch(f"{base}/v1/pages/{'x' * 32}/seen")
    # Then the invoice counts two views, the first one is on the audit trail, the unknown one answers alike
    assert status == 200
    stored = invoice_ledger().get(tenant_id, invoice.invoice_id)
    assert stored.view_count == 2 and stored.first_viewed_at is not None
    assert [e.action for e in audit_trail().events(tenant_id, invoice.invoice_id)] == ["first_viewed"]


def test_a_question_without_javascript_is_stored_emailed_and_shown_after_a_redirect(issued):
    local_env, tenant_id, invoice = issued
    url = f"{local_env.server.url}/v1/pages/{invoice.page_token}/questions"
    # When the form posts without JavaScript
    status, headers, _ = _post(url, {"text": "Varför kostar surfen mer i oktober?", "line_id": ""})
    # Then it redirects back to the page, the invoice is questioned, and support got an email
    assert status == 303
    assert headers["Location"] == f"{local_env.server.url}/i/{invoice.page_token}#block-questions"
    stored = invoice_ledger().get(tenant_id, invoice.invoice_id)
    assert stored.question_open and stored.questions[0]["text"] == "Varför kostar surfen mer i oktober?"
    support = emails_to(local_env.moto_url, "kundservice@example.com")
    assert any(invoice.number in m["subject"] for m in support)
    # And the re-rendered page shows the question
    _, _, html = fetch(f"{local_env.server.url}/i/{invoice.page_token}")
    assert "Varför kostar surfen mer i oktober?" in html


def test_a_question_with_javascript_gets_json_and_a_repeat_is_not_a_second_question(issued):
    local_env, tenant_id, invoice = issued
    url = f"{local_env.server.url}/v1/pages/{invoice.page_token}/questions"
    line = json.loads(json.dumps(invoice.document))["lines"][0]["line_id"]
    # When the script posts the form twice (a double click)
    first = _post(url, {"text": "What is this line?", "line_id": line}, accept="application/json")
    second = _post(url, {"text": "What is this line?", "line_id": line}, accept="application/json")
    # Then both answer JSON, only the first is new, and one question is stored about that line
    assert first[0] == 200 and json.loads(first[2])["new"] is True
    assert second[0] == 200 and json.loads(second[2])["new"] is False
    stored = invoice_ledger().get(tenant_id, invoice.invoice_id)
    assert len(stored.questions) == 1 and stored.questions[0]["line_id"] == line


def test_bad_input_is_refused_with_the_field(issued):
    local_env, _, invoice = issued
    base = f"{local_env.server.url}/v1/pages/{invoice.page_token}"
    status, _, body = _post(f"{base}/questions", {"text": "  "})
    assert status == 400 and json.loads(body)["field"] == "text"
    status, _, body = _post(f"{base}/questions", {"text": "Hm?", "line_id": "no-such-line"})
    assert status == 400 and json.loads(body)["field"] == "line_id"
    status, _, body = _post(f"{base}/feedback", {"score": "11"})
    assert status == 400 and json.loads(body)["field"] == "score"
    status, _, _ = _post(f"{local_env.server.url}/v1/pages/{'y' * 32}/questions", {"text": "Hello"})
    assert status == 404


def test_feedback_is_recorded(issued):
    local_env, tenant_id, invoice = issued
    status, _, _ = _post(
        f"{local_env.server.url}/v1/pages/{invoice.page_token}/feedback", {"score": "9", "text": "Bra"}
    )
    assert status == 303
    stored = invoice_ledger().get(tenant_id, invoice.invoice_id)
    assert stored.feedback["score"] == 9 and stored.feedback["text"] == "Bra"


def test_the_engagement_report_counts_views_questions_and_payments(issued, capsys):
    local_env, tenant_id, invoice = issued
    # Given one emailed invoice that was viewed and asked about
    fetch(f"{local_env.server.url}/v1/pages/{invoice.page_token}/seen")
    _post(f"{local_env.server.url}/v1/pages/{invoice.page_token}/questions", {"text": "Why?"})
    # When the operator asks for the report
    from billing.cli import main

    assert main(["report", "engagement", "--tenant", tenant_id]) == 0
    out = capsys.readouterr().out
    # Then it covers that invoice: viewed, with a question, not yet paid
    lines = {line.split("  ")[0]: line for line in out.splitlines() if "  " in line}
    assert lines["View rate"].endswith("100.0% (1 of 1)")
    assert lines["Question rate"].endswith("100.0% (1 of 1)")
    assert lines["Paid"].endswith("0.0% (0 of 1)")
