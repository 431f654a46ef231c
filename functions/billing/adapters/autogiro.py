"""Autogiro adapters outside DynamoDB: request and report files in S3, and the mandate form page.

Files live in the pages bucket, never under `i/` (the only prefix CloudFront may read):
`autogiro/outbox/<tenant>/<dataset name>` for request files we write, `autogiro/inbox/<tenant>/<file>`
for reports an operator puts there (docs/autogiro.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from billing.adapters.aws import client, read_inbox_file, translate
from billing.services.autogiro.form import MandateForm
from billing.services.autogiro.model import CONSENT_VALUE, MandateStatus

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


class S3AutogiroFiles:
    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    def write(self, key: str, body: bytes) -> None:
        try:
            client("s3").put_object(
                Bucket=self.bucket, Key=key, Body=body, ContentType="text/plain; charset=iso-8859-1"
            )
        except ClientError as error:
            raise translate(error, "writing the Autogiro file") from error

    def exists(self, key: str) -> bool:
        try:
            client("s3").head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise translate(error, "looking for the Autogiro file") from error
        return True

    def read(self, key: str) -> bytes:
        return read_inbox_file(self.bucket, key, "Autogiro file")


# The form's words, in the customer's language. The consent follows Bankgirot's mandate terms in
# short: what is debited, the notice, and how to revoke.
TEXTS: dict[str, dict[str, str]] = {
    "sv": {
        "title": "Betala med Autogiro",
        "intro": "Med Autogiro dras beloppet automatiskt från ditt konto på förfallodagen. "
        "Du får fakturan som vanligt och ser dragningsdagen på den.",
        "personnummer": "Personnummer (ÅÅÅÅMMDD-NNNN)",
        "clearing": "Clearingnummer",
        "account_number": "Kontonummer",
        "consent": "Jag lämnar medgivande till att betalningar för fakturor från {tenant} dras från "
        "kontot ovan via Autogiro. Belopp och dragningsdag meddelas minst åtta bankdagar före "
        "dragningen. Medgivandet gäller tills vidare och kan återkallas hos {tenant} eller min bank; "
        "en enskild dragning kan stoppas senast bankdagen före dragningsdagen.",
        "submit": "Godkänn Autogiro",
        "back": "Tillbaka till fakturan",
        "pending": "Ditt Autogiro-medgivande är registrerat och väntar på godkännande från din bank.",
        "approved": "Autogiro är aktivt. Fakturorna dras automatiskt från ditt konto.",
        "rejected": "Ditt Autogiro-medgivande godkändes inte: {reason} Du kan försöka igen nedan.",
        "cancelled": "Autogiro är avslutat: {reason} Du kan lämna ett nytt medgivande nedan.",
        "error": "Något behöver rättas:",
    },
    "en": {
        "title": "Pay by Autogiro",
        "intro": "With Autogiro the amount is taken from your account automatically on the due date. "
        "You get the invoice as before and see the debit date on it.",
        "personnummer": "Personal identity number (YYYYMMDD-NNNN)",
        "clearing": "Clearing number",
        "account_number": "Account number",
        "consent": "I consent to payments of invoices from {tenant} being debited from the account "
        "above through Autogiro. The amount and the debit date are announced at least eight banking "
        "days before each debit. The consent applies until further notice and can be revoked with "
        "{tenant} or my bank; a single debit can be stopped up to the banking day before.",
        "submit": "Approve Autogiro",
        "back": "Back to the invoice",
        "pending": "Your Autogiro mandate is registered and waiting for your bank's approval.",
        "approved": "Autogiro is active. Your invoices are paid from your account automatically.",
        "rejected": "Your Autogiro mandate was not approved: {reason} You can try again below.",
        "cancelled": "Autogiro has ended: {reason} You can give a new mandate below.",
        "error": "Something needs correcting:",
    },
}


class JinjaAutogiroForm:
    """Renders templates/autogiro_form.html.j2 (autoescaped, undefined names fail)."""

    def __init__(self, *, pages_base_url: str, api_base_url: str) -> None:
        self.pages_base_url = pages_base_url.rstrip("/")
        self.api_base_url = api_base_url.rstrip("/")
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES_DIR),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
        )

    def render(self, form: MandateForm) -> str:
        language = form.language if form.language in TEXTS else "sv"
        texts = TEXTS[language]
        tenant_name = str(form.tenant.page.get("name") or form.tenant.settings.legal_name)
        mandate = form.mandate
        notice = None
        show_form = True
        if mandate is not None:
            reason = ""
            if mandate.reason is not None:
                reason = mandate.reason.sv if language == "sv" else mandate.reason.en
            if mandate.status in (MandateStatus.PENDING, MandateStatus.SENT):
                notice, show_form = texts["pending"], False
            elif mandate.status is MandateStatus.APPROVED:
                notice, show_form = texts["approved"], False
            elif mandate.status is MandateStatus.REJECTED:
                notice = texts["rejected"].format(reason=reason)
            elif mandate.status is MandateStatus.CANCELLED:
                notice = texts["cancelled"].format(reason=reason)
        token = form.stored.page_token
        context: dict[str, Any] = {
            "lang": language,
            "t": texts,
            "consent_text": texts["consent"].format(tenant=tenant_name),
            "tenant_name": tenant_name,
            "colour": str(form.tenant.page.get("colour") or "#1f5f8b"),
            "invoice_number": form.stored.invoice.number or "",
            "page_url": f"{self.pages_base_url}/i/{token}",
            "action": f"{self.api_base_url}/v1/pages/{token}/autogiro",
            "notice": notice,
            "mandate_status": mandate.status.value if mandate else "none",
            "show_form": show_form,
            "values": {k: form.values.get(k, "") for k in ("personnummer", "clearing", "account_number")},
            "error_field": form.error_field,
            "error": form.error,
            "consent_value": CONSENT_VALUE,
        }
        return self.env.get_template("autogiro_form.html.j2").render(context)
