"""Autogiro adapters outside DynamoDB: request and report files in S3, and the mandate form page (its
words from the gettext catalogs).

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
from billing.adapters.mail_words import Words, reader_language
from billing.services.autogiro.ports import CONSENT_VALUE, Mandate, MandateForm, MandateStatus

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
        # A listing under the key itself, not a HEAD: S3 tells a missing key (404) only to a caller that
        # may list the bucket, and this function may list only under autogiro/outbox/ (template.yaml).
        try:
            answer = client("s3").list_objects_v2(Bucket=self.bucket, Prefix=key, MaxKeys=1)
        except ClientError as error:
            raise translate(error, "looking for the Autogiro file") from error
        return any(found.get("Key") == key for found in answer.get("Contents") or [])

    def read(self, key: str) -> bytes:
        return read_inbox_file(self.bucket, key, "Autogiro file")


def _form_words(t: Words) -> dict[str, str]:
    """The labels the form template reads as `t.<name>`, in the reader's language."""
    return {
        "title": t("Pay by Autogiro"),
        "intro": t(
            "With Autogiro the amount is taken from your account automatically on the due date. "
            "You get the invoice as before and see the debit date on it."
        ),
        "personnummer": t("Personal identity number (YYYYMMDD-NNNN)"),
        "clearing": t("Clearing number"),
        "account_number": t("Account number"),
        "submit": t("Approve Autogiro"),
        "back": t("Back to the invoice"),
        "error": t("Something needs correcting:"),
    }


def _refusal(t: Words, field: str, detail: str | None) -> str:
    """The form's refusal of `field` in the reader's words; the check's own detail is in English, so
    only English readers see it, after the sentence."""
    sentence = {
        "personnummer": t("Please check the personal identity number."),
        "clearing": t("Please check the clearing number."),
        "consent": t("Please give your consent to pay by Autogiro."),
    }.get(field) or t("Please check the account number.")
    if t.language == "en" and detail and field != "consent":
        return f"{sentence} ({detail})"
    return sentence


def _consent(t: Words, tenant_name: str) -> str:
    # Bankgirot's mandate terms in short: what is debited, the notice, and how to revoke.
    return t(
        "I consent to payments of invoices from %(tenant)s being debited from the account above through "
        "Autogiro. The amount and the debit date are announced at least eight banking days before each "
        "debit. The consent applies until further notice and can be revoked with %(tenant)s or my bank; "
        "a single debit can be stopped up to the banking day before.",
        tenant=tenant_name,
    )


def _notice(t: Words, mandate: Mandate) -> tuple[str | None, bool]:
    """What the page says about the mandate so far, and whether the form is still shown."""
    reason = ""
    if mandate.reason is not None:
        reason = t(mandate.reason.message)
    if mandate.status in (MandateStatus.PENDING, MandateStatus.SENT):
        return t("Your Autogiro mandate is registered and waiting for your bank's approval."), False
    if mandate.status is MandateStatus.APPROVED:
        return t("Autogiro is active. Your invoices are paid from your account automatically."), False
    if mandate.status is MandateStatus.REJECTED:
        return t(
            "Your Autogiro mandate was not approved: %(reason)s You can try again below.", reason=reason
        ), True
    if mandate.status is MandateStatus.CANCELLED:
        return t("Autogiro has ended: %(reason)s You can give a new mandate below.", reason=reason), True
    return None, True


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
        # The form is Bankgirot's Swedish service: a reader whose language we lack gets Swedish.
        t = Words(reader_language(form.language, fallback="sv"))
        tenant_name = form.tenant.page_settings.branding.name
        mandate = form.mandate
        notice, show_form = _notice(t, mandate) if mandate is not None else (None, True)
        token = form.stored.page_token
        context: dict[str, Any] = {
            "lang": t.language,
            "t": _form_words(t),
            "consent_text": _consent(t, tenant_name),
            "tenant_name": tenant_name,
            "colour": form.tenant.page_settings.branding.colour,
            "invoice_number": form.stored.invoice.number or "",
            "page_url": f"{self.pages_base_url}/i/{token}",
            "action": f"{self.api_base_url}/v1/pages/{token}/autogiro",
            "notice": notice,
            "mandate_status": mandate.status.value if mandate else "none",
            "show_form": show_form,
            "values": {k: form.values.get(k, "") for k in ("personnummer", "clearing", "account_number")},
            "error_field": form.error_field,
            "error": _refusal(t, form.error_field, form.error) if form.error_field else None,
            "consent_value": CONSENT_VALUE,
        }
        return self.env.get_template("autogiro_form.html.j2").render(context)
