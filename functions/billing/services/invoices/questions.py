"""The questions customers asked on an invoice's page, as the merchant's API shows and answers them.

Answering goes through the one question-answer use case (billing.services.dunning.AnswerQuestion):
the answer is stored, shown on the re-rendered page, e-mailed to the customer and audited with the
key that answered; once every question on the invoice is answered, reminders resume by themselves
after the tenant's grace days (docs/dunning.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from billing.services.errors import PermanentError
from billing.services.invoices.ports import InvoiceReads
from billing.services.ports import StoredInvoice


class QuestionView(BaseModel):
    object: Literal["question"] = "question"
    question_id: str
    invoice_id: str
    asked_at: str | None
    text: str
    line_id: str | None
    open: bool
    answered_at: str | None
    answer: str | None


class QuestionList(BaseModel):
    object: Literal["list"] = "list"
    invoice_open_questions: bool = Field(description="true while any question on the invoice is unanswered")
    data: list[QuestionView]


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]


def _view(invoice_id: str, q: dict[str, Any]) -> QuestionView:
    return QuestionView(
        question_id=str(q.get("question_id")),
        invoice_id=invoice_id,
        asked_at=q.get("asked_at"),
        text=str(q.get("text", "")),
        line_id=q.get("line_id"),
        open=not q.get("answered_at"),
        answered_at=q.get("answered_at"),
        answer=q.get("answer"),
    )


def questions_of(stored: StoredInvoice) -> QuestionList:
    return QuestionList(
        invoice_open_questions=stored.question_open,
        data=[_view(stored.invoice.invoice_id, q) for q in stored.questions],
    )


@dataclass(frozen=True)
class InvoiceQuestions:
    invoices: InvoiceReads

    def stored(self, tenant_id: str, invoice_id: str, question_id: str | None = None) -> StoredInvoice:
        stored = self.invoices.get(tenant_id, invoice_id)
        if stored is None:
            raise PermanentError(f"no invoice {invoice_id!r}", field="invoice_id", code="not_found")
        if question_id is not None and not any(q.get("question_id") == question_id for q in stored.questions):
            raise PermanentError(
                f"no question {question_id!r} on this invoice", field="question_id", code="not_found"
            )
        return stored

    def list(self, tenant_id: str, invoice_id: str) -> QuestionList:
        return questions_of(self.stored(tenant_id, invoice_id))
