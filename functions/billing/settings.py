"""Configuration from the function's environment, which template.yaml sets per function.

This is the only module that reads os.environ for business configuration; everything else receives
a value from `settings()`. Each function's Environment in template.yaml holds only the variables that
function uses (its tables, queues, bucket, links), so a variable is read when first asked for, and
one the function was not given is a ConfigError naming it, not a KeyError or a call to a table named
"". The local stack runs every function in one process with every variable set, and holds each
handler to its own list (infra/local_env.py), as AWS would.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache
from typing import overload


class ConfigError(RuntimeError):
    """A required environment variable is missing or empty."""


class Variable:
    """One environment variable, read from the settings' environment when asked for: `PAGES_BUCKET`
    for the attribute `pages_bucket`. A URL loses its trailing slash (links are joined with "/")."""

    def __set_name__(self, owner: type, attribute: str) -> None:
        self.name = attribute.upper()

    @overload
    def __get__(self, settings: None, owner: type) -> Variable: ...
    @overload
    def __get__(self, settings: Settings, owner: type) -> str: ...
    def __get__(self, settings: Settings | None, owner: type) -> Variable | str:
        if settings is None:
            return self
        value = settings.value(self.name)
        return value.rstrip("/") if self.name.endswith("_URL") else value


class Settings:
    """The variables any function may be given, each read on first use (see the module's docstring)."""

    tenants_table = Variable()
    customers_table = Variable()
    usage_table = Variable()
    usage_ledger_table = Variable()
    api_keys_table = Variable()
    invoices_table = Variable()
    runs_table = Variable()
    counters_table = Variable()
    invoice_events_table = Variable()
    idempotency_table = Variable()
    autogiro_table = Variable()
    bank_payments_table = Variable()
    page_activity_table = Variable()
    pages_bucket = Variable()
    pages_base_url = Variable()
    api_base_url = Variable()
    invoice_queue_url = Variable()
    sender_email = Variable()
    stripe_events_table = Variable()
    stripe_refs_table = Variable()
    stripe_event_queue_url = Variable()
    outbox_table = Variable()
    money_audit_table = Variable()
    webhooks_table = Variable()
    webhook_queue_url = Variable()
    webhook_dlq_url = Variable()
    event_bus_name = Variable()
    price_changes_table = Variable()
    spend_alert_queue_url = Variable()
    engagement_table = Variable()

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        return cls(os.environ if environ is None else environ)

    @classmethod
    def variables(cls) -> tuple[str, ...]:
        """Every variable's name, as template.yaml spells it."""
        return tuple(v.name for v in vars(cls).values() if isinstance(v, Variable))

    def get(self, name: str) -> str | None:
        """The variable's value, or None where this function was not given it."""
        return self._environ.get(name, "").strip() or None

    def value(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise ConfigError(
                f"missing environment variable {name} (template.yaml sets it in the Environment of each "
                "function that uses it)"
            )
        return value


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
    """The process's settings: the function's own environment, each variable read when asked for."""
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
