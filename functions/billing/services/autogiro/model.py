"""Autogiro's own types: the tenant's agreement settings, the form's errors, the invoice's Autogiro state
(the mandate and its status are records of the ports: billing.services.autogiro.ports)."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from billing.domain.autogiro.planning import (
    DEFAULT_LOOKAHEAD_BANKING_DAYS,
    AutogiroPayee,
)
from billing.domain.autogiro.validation import (
    ValidationError,
    validate_bankgiro,
)
from billing.services.errors import PermanentError
from billing.services.ports import (
    TenantAccount,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
INBOX_PREFIX = "autogiro/inbox/"
OUTBOX_PREFIX = "autogiro/outbox/"


class AutogiroFormError(PermanentError):
    """A field of the mandate form is wrong; `field` is the form field, `reason` the check's own words
    (English, for logs and for English readers: the page words the refusal itself)."""


class AutogiroNotOffered(PermanentError):
    """The tenant has no Autogiro agreement configured, or the invoice is not in SEK."""


@dataclass(frozen=True)
class AutogiroSettings:
    """The tenant's Autogiro agreement, from the tenant page document's "autogiro" object."""

    payee: AutogiroPayee
    lookahead_banking_days: int = DEFAULT_LOOKAHEAD_BANKING_DAYS


def autogiro_settings(tenant: TenantAccount) -> AutogiroSettings | None:
    """None when the tenant does not offer Autogiro: not SEK, or no Bankgirot customer number.

    `page["autogiro"] = {"customer_number": "123456", "bankgiro": "5050-1055" (default: the tenant's
    bankgiro), "lookahead_banking_days": 5}`.
    """
    conf = tenant.page.get("autogiro")
    if not isinstance(conf, dict) or tenant.settings.currency.upper() != "SEK":
        return None
    customer_number = str(conf.get("customer_number") or "").strip()
    if not (customer_number.isascii() and customer_number.isdigit() and len(customer_number) <= 6):
        raise PermanentError(
            "the Bankgirot customer number must be at most 6 digits", field="page.autogiro.customer_number"
        )
    bankgiro_text = conf.get("bankgiro") or tenant.settings.bankgiro
    if not bankgiro_text:
        raise PermanentError("Autogiro needs the payee bankgiro number", field="page.autogiro.bankgiro")
    try:
        bankgiro = validate_bankgiro(str(bankgiro_text), "page.autogiro.bankgiro")
    except ValidationError as exc:
        raise PermanentError(exc.reason, field=exc.field) from exc
    lookahead = int(conf.get("lookahead_banking_days", DEFAULT_LOOKAHEAD_BANKING_DAYS))
    if not 1 <= lookahead <= 30:
        raise PermanentError("must be between 1 and 30", field="page.autogiro.lookahead_banking_days")
    return AutogiroSettings(AutogiroPayee(customer_number.zfill(6), bankgiro), lookahead)
