"""The operator answers a customer's question: stored, emailed, shown on the page, audited; reminders
resume once none is open."""

from __future__ import annotations

from dataclasses import dataclass

from billing.domain.merchant_events import EventDraft, question_answered_draft
from billing.services.dunning.letters import DunningLetters
from billing.services.dunning.ports import QuestionAnswer
from billing.services.dunning.state import reply_address
from billing.services.errors import PermanentError
from billing.services.ports import (
    AuditEvent,
    StoredInvoice,
)

# --------------------------------------------------------------------------------------------------
# The operator answers a customer's question


@dataclass(kw_only=True, eq=False)
class AnswerQuestion(DunningLetters):
    """Store the operator's answer, email it to the customer, re-render the page, audit it. Reminders
    resume by themselves (the daily job sees the question answered, after the grace days)."""

    def __call__(
        self, tenant_id: str, invoice_id: str, question_id: str, text: str, operator: str
    ) -> StoredInvoice:
        text = (text or "").strip()
        if not text:
            raise PermanentError("write the answer", field="text")
        if not operator.strip():
            raise PermanentError("an answer is an operator's action and must name one", field="operator")
        now = self.clock.now()
        invoice = self.invoices.get(tenant_id, invoice_id)
        if invoice is None:
            raise PermanentError(f"no invoice {invoice_id}", field="invoice")

        def answered(all_answered: bool) -> EventDraft:
            return question_answered_draft(
                invoice.invoice, question_id, text, all_answered=all_answered, now=now
            )

        # The merchant's question.answered is written with the answer (billing.domain.merchant_events).
        stored = self.store.answer_question(
            QuestionAnswer(tenant_id, invoice_id, question_id, text, now, answered)
        )
        tenant, account = self.pages.load(stored)
        question = next(q for q in stored.questions if q.get("question_id") == question_id)
        email = self.mail.notice(
            stored, tenant, account, "answer", {"question": str(question.get("text", "")), "answer": text}
        )
        self.mailer.send(
            to=account.email,
            subject=email.subject,
            text=email.text,
            html=email.html,
            reply_to=reply_address(tenant),
        )
        self.audit.append(
            tenant_id,
            invoice_id,
            AuditEvent(
                "question_answered",
                "operator",
                now,
                {"question_id": question_id, "all_answered": not stored.question_open},
                actor_id=operator,
            ),
        )
        self.pages.publish(stored, tenant, account)
        return stored
