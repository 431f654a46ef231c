"""Reading back what the local stack holds: invoices, counters, sent email."""

from __future__ import annotations

import contextlib
import io
import json
import urllib.request
from typing import Any

from billing.adapters.dynamo.models import CounterModel, InvoiceModel
from billing.adapters.dynamo.stores import DynamoInvoiceLedger


def invoices_of(tenant_id: str) -> list[InvoiceModel]:
    return list(InvoiceModel.query(tenant_id, consistent_read=True))


def counter_value(tenant_id: str, prefix: str = "NM-") -> int:
    counter_id = DynamoInvoiceLedger._counter_id(tenant_id, prefix)
    try:
        return int(CounterModel.get(counter_id, consistent_read=True).value)
    except CounterModel.DoesNotExist:
        return 0


def sent_emails(moto_url: str) -> list[dict[str, Any]]:
    # moto's data.json serialises every backend (pages in S3 too), so on a loaded machine late in a
    # run it can take tens of seconds: read it once per check, with room to answer.
    with urllib.request.urlopen(moto_url + "/moto-api/data.json", timeout=90) as response:
        data = json.load(response)
    return list(data.get("ses", {}).get("Message", []) or [])


def emails_to(moto_url: str, address: str, sent: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """The emails sent to `address`; pass `sent` (one sent_emails read) when checking many addresses."""
    messages = sent_emails(moto_url) if sent is None else sent
    return [m for m in messages if address in (m.get("destinations", {}).get("ToAddresses") or [])]


def fetch(url: str) -> tuple[int, dict[str, str], str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode("utf-8", "replace")


def engagement_by_month(tenant_id: str) -> dict[str, dict[str, int]]:
    """`billing report engagement`'s monthly table as {row label: {YYYY-MM: count}}. The report's months
    run to the real today, so 36 of them hold a scenario's months whatever day the suite runs on."""
    from billing.cli import main as billing_cli

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert billing_cli(["report", "engagement", "--tenant", tenant_id, "--months", "36"]) == 0
    lines = out.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("per month"))
    months = lines[start].split()[2:]
    table: dict[str, dict[str, int]] = {}
    for line in lines[start + 1 :]:
        cells = line.rsplit(maxsplit=len(months))
        if len(cells) != len(months) + 1 or not all(c.isdigit() for c in cells[1:]):
            break
        table[cells[0].strip()] = dict(zip(months, map(int, cells[1:]), strict=True))
    return table
