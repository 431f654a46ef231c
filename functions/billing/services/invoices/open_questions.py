"""The tenant's unanswered questions, across all its invoices (`GET /v1/questions?status=open`,
`billing question list --tenant T`): what the merchant's support works through.

Each question comes with its invoice and customer, so it can be answered (`POST
/v1/invoices/{id}/questions/{qid}/answer`) without another lookup. Newest first by default, oldest
first on request (the queue order); a page at a time. The cursor is the last question's place in the
list (when asked, invoice, question), base64url-encoded; the query is always the caller's tenant,
whatever the cursor says. Answering a question takes it off this list (and, when it was the invoice's
last, lets its reminders resume: billing.services.dunning.AnswerQuestion).

Questions stored on invoices from before questions had their own items (a `questions` list on the
invoice item) are not in this list; they are still shown and answered per invoice.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

from billing.services.errors import PermanentError
from billing.services.invoices.ports import InvoiceReads

# "<asked at, UTC ISO>#<invoice id>#<question id>", as adapters/dynamo/page_activity.open_key makes it
_POSITION = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?\+00:00#inv_[a-z2-7]{26}#[A-Za-z0-9_-]{1,64}"
)
ORDERS = ("newest", "oldest")


class OpenQuestionReads(Protocol):
    def open_questions(
        self, tenant_id: str, after: str | None, limit: int, newest_first: bool
    ) -> tuple[Sequence[dict[str, Any]], str | None]:
        """A page of the tenant's unanswered questions ({invoice_id, question_id, asked_at, text,
        line_id}), in asking order, after position `after`; the next position, or None on the last."""
        ...


class OpenQuestion(BaseModel):
    object: Literal["question"] = "question"
    question_id: str
    asked_at: str | None
    text: str
    line_id: str | None = Field(description="the invoice line the question is about, if any")
    invoice_id: str
    invoice_number: str | None
    customer_id: str
    customer_name: str
    page_url: str | None = Field(description="the invoice page the customer asked on")


class OpenQuestionList(BaseModel):
    object: Literal["list"] = "list"
    data: list[OpenQuestion]
    next_cursor: str | None


def encode_position(position: str) -> str:
    return base64.urlsafe_b64encode(position.encode()).decode().rstrip("=")


def decode_position(cursor: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raw = ""
    if not _POSITION.fullmatch(raw):
        raise PermanentError("not a cursor this API gave out", field="cursor")
    return raw


@dataclass(frozen=True)
class ListOpenQuestions:
    questions: OpenQuestionReads
    invoices: InvoiceReads
    pages_base_url: str

    def __call__(
        self, tenant_id: str, limit: int, cursor: str | None, order: str = "newest"
    ) -> OpenQuestionList:
        if order not in ORDERS:
            raise PermanentError(f"one of {', '.join(ORDERS)}", field="order")
        after = decode_position(cursor) if cursor else None
        found, position = self.questions.open_questions(tenant_id, after, limit, order == "newest")
        # One read per distinct invoice on the page (at most `limit`), for its customer and number.
        invoices = {
            invoice_id: self.invoices.get(tenant_id, invoice_id)
            for invoice_id in dict.fromkeys(q["invoice_id"] for q in found)
        }
        data = []
        for q in found:
            stored = invoices[q["invoice_id"]]
            if stored is None:
                continue  # the invoice was erased after the question (docs/privacy.md)
            data.append(
                OpenQuestion(
                    question_id=str(q["question_id"]),
                    asked_at=q.get("asked_at"),
                    text=str(q.get("text", "")),
                    line_id=q.get("line_id"),
                    invoice_id=stored.invoice_id,
                    invoice_number=stored.invoice.number,
                    customer_id=stored.invoice.customer_id,
                    customer_name=stored.invoice.buyer.name,
                    page_url=(
                        f"{self.pages_base_url.rstrip('/')}/i/{stored.page_token}"
                        if stored.page_token
                        else None
                    ),
                )
            )
        return OpenQuestionList(data=data, next_cursor=encode_position(position) if position else None)
