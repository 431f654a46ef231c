"""Configuration read once per process from the environment the template (or the local stack) sets.

This is the only module that reads os.environ for business configuration; everything else receives
a Settings. A missing variable fails fast at cold start with its name, not later mid-run.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import cache


class ConfigError(RuntimeError):
    """A required environment variable is missing or empty."""


@dataclass(frozen=True)
class Settings:
    tenants_table: str
    customers_table: str
    usage_table: str
    usage_ledger_table: str
    api_keys_table: str
    invoices_table: str
    runs_table: str
    counters_table: str
    invoice_events_table: str
    idempotency_table: str
    autogiro_table: str
    bank_payments_table: str
    page_activity_table: str
    pages_bucket: str
    pages_base_url: str
    api_base_url: str
    invoice_queue_url: str
    sender_email: str
    stripe_events_table: str
    stripe_refs_table: str
    stripe_event_queue_url: str
    outbox_table: str
    money_audit_table: str
    webhooks_table: str
    webhook_queue_url: str
    webhook_dlq_url: str
    event_bus_name: str
    price_changes_table: str
    spend_alert_queue_url: str
    engagement_table: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, str] = {}
        missing = []
        for f in fields(cls):
            value = env.get(f.name.upper(), "").strip()
            if not value:
                missing.append(f.name.upper())
            values[f.name] = value.rstrip("/") if f.name.endswith("_url") else value
        if missing:
            raise ConfigError(f"missing environment variables: {', '.join(missing)}")
        return cls(**values)


def stripe_api_base(environ: Mapping[str, str] | None = None) -> str | None:
    """The local Stripe stand-in's URL. Only the local stack sets STRIPE_API_BASE; on AWS it is absent
    and a tenant without a Stripe key cannot take card payments (docs/payments.md)."""
    env = os.environ if environ is None else environ
    return env.get("STRIPE_API_BASE", "").strip().rstrip("/") or None


# A DynamoDB transaction holds at most 100 items on AWS (template.yaml sets this); the local stack sets
# what DynamoDB Local takes.
MAX_TRANSACTION_ITEMS = 100


def usage_transaction_items(environ: Mapping[str, str] | None = None) -> int:
    """Items per usage-ingestion transaction (USAGE_TRANSACTION_ITEMS, default 100): 2 (one event
    and its total) to 100."""
    env = os.environ if environ is None else environ
    text = env.get("USAGE_TRANSACTION_ITEMS", "").strip() or str(MAX_TRANSACTION_ITEMS)
    if not text.isdigit() or not 2 <= int(text) <= MAX_TRANSACTION_ITEMS:
        raise ConfigError(f"USAGE_TRANSACTION_ITEMS must be a whole number from 2 to 100; got {text!r}")
    return int(text)


@cache
def settings() -> Settings:
    """The process's settings, read on first use (a Lambda cold start)."""
    return Settings.from_env()


def tracing_enabled(environ: Mapping[str, str] | None = None) -> bool:
    """Whether X-Ray tracing is on, by Powertools' own rule: in Lambda (not SAM local or Chalice),
    unless POWERTOOLS_TRACE_DISABLED is true. Read here so a handler that is not traced never imports
    the X-Ray SDK (billing.handlers.tracing)."""
    env = os.environ if environ is None else environ
    if env.get("POWERTOOLS_TRACE_DISABLED", "false").strip().lower() in ("1", "true", "yes", "on", "y", "t"):
        return False
    if env.get("AWS_SAM_LOCAL") or env.get("AWS_CHALICE_CLI_MODE"):
        return False
    return bool(env.get("LAMBDA_TASK_ROOT"))
