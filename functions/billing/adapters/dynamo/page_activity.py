"""Questions and offer clicks in their own items (PageActivityModel), never in the invoice item.

A question is one item ("q#<question id>"); a click adds 1 to a counter ("click#<offer id>"); each
day's counter ("day#<YYYY-MM-DD>") enforces the daily limits. The invoice item keeps only bounded
scalars about its questions (count, unanswered, open, first asked, support notified), written in the
same transaction as the question, so the daily dunning job decides on a consistent picture. Invoices
from before this table may still carry a `questions` list; it is read and answered, never appended to.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

from pynamodb.attributes import NumberAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from billing.adapters.dynamo.conditions import Transaction, codes_as_added, written
from billing.adapters.dynamo.guard import item_size_guard
from billing.adapters.dynamo.models import InvoiceModel, PageActivityModel
from billing.adapters.dynamo.outbox import add_event
from billing.domain.merchant_events import EventDraft, on_invoice
from billing.services.dunning.ports import QuestionAnswer
from billing.services.errors import LimitReached, PermanentError, RetryableError
from billing.services.ports import PageLimits

DAY_TTL = timedelta(days=3)
ATTEMPTS = 20


def activity_key(tenant_id: str, invoice_id: str) -> str:
    return f"{tenant_id}#{invoice_id}"


def _day_item(tenant_id: str, invoice_id: str, day: date) -> PageActivityModel:
    return PageActivityModel(activity_key(tenant_id, invoice_id), f"day#{day.isoformat()}")


def _day_expiry(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC) + DAY_TTL


def _count_today(
    tx: TransactWrite, tenant_id: str, invoice_id: str, day: date, counter: NumberAttribute, limit: int
) -> None:
    """Add 1 to the day's counter in `tx`, which then fails (ConditionalCheckFailed) at the limit."""
    tx.update(
        _day_item(tenant_id, invoice_id, day),
        actions=[counter.add(1), PageActivityModel.expires_at.set(_day_expiry(day))],
        condition=counter.does_not_exist() | (counter < limit),
    )


def _event_seq(tenant_id: str, invoice_id: str) -> int:
    try:
        item = InvoiceModel.get(tenant_id, invoice_id, consistent_read=True, attributes_to_get=["event_seq"])
    except DoesNotExist as exc:
        raise PermanentError(f"no invoice {invoice_id}", field="invoice_id") from exc
    return int(item.event_seq or 0)


def _seq_is(seq: int) -> Any:
    return InvoiceModel.event_seq == seq if seq else InvoiceModel.event_seq.does_not_exist()


def add_question(
    tenant_id: str,
    invoice_id: str,
    question: dict[str, Any],
    limits: PageLimits,
    asked: EventDraft | None = None,
) -> bool:
    """`asked`: the question.asked event, numbered on the invoice's stream and put in the question's
    own transaction (the invoice's `event_seq` advanced under a condition), so a question stored is a
    question the merchant hears of, once."""
    asked_at = datetime.fromisoformat(str(question["asked_at"])).astimezone(UTC)
    day = asked_at.date()
    key = activity_key(tenant_id, invoice_id)
    for _ in range(ATTEMPTS):
        seq = _event_seq(tenant_id, invoice_id) if asked is not None else 0
        invoice_actions: list[Any] = [
            InvoiceModel.question_count.add(1),
            InvoiceModel.questions_unanswered.add(1),
            InvoiceModel.question_open.set(True),
            InvoiceModel.question_first_at.set(InvoiceModel.question_first_at | asked_at),
            InvoiceModel.version.add(1),
        ]
        invoice_condition = InvoiceModel.invoice_id.exists() & (
            InvoiceModel.question_count.does_not_exist()
            | (InvoiceModel.question_count < limits.questions_per_invoice)
        )
        if asked is not None:
            invoice_actions.append(InvoiceModel.event_seq.set(seq + 1))
            invoice_condition = invoice_condition & _seq_is(seq)
        try:
            with item_size_guard(f"invoice {key}"), Transaction(connection=_connection()) as tx:
                tx.save(
                    PageActivityModel(
                        key,
                        f"q#{question['question_id']}",
                        text=str(question["text"]),
                        line_id=question.get("line_id"),
                        asked_at=asked_at.isoformat(),
                        open_tenant=tenant_id,
                        open_key=open_key(asked_at, invoice_id, str(question["question_id"])),
                    ),
                    condition=PageActivityModel.item_key.does_not_exist(),
                )
                _count_today(
                    tx, tenant_id, invoice_id, day, PageActivityModel.questions, limits.questions_per_day
                )
                tx.update(
                    InvoiceModel(tenant_id, invoice_id), actions=invoice_actions, condition=invoice_condition
                )
                if asked is not None:
                    add_event(tx, on_invoice(asked, tenant_id, invoice_id, seq + 1), datetime.now(UTC))
        except TransactWriteError as exc:
            codes = codes_as_added(exc, tx)
            if not codes:
                raise RetryableError(f"storing the question failed: {exc}") from exc
            if codes[0] == "ConditionalCheckFailed":
                return False  # the same words about the same line: asked already
            if codes[1] == "ConditionalCheckFailed":
                raise LimitReached(
                    f"at most {limits.questions_per_day} questions a day on one invoice; "
                    "please try again tomorrow, or write to us",
                    field="text",
                    code="questions_per_day",
                ) from exc
            if asked is not None and (
                "ConditionalCheckFailed" in codes[3:]
                or (codes[2] == "ConditionalCheckFailed" and _event_seq(tenant_id, invoice_id) != seq)
            ):
                continue  # another change numbered an event on the invoice meanwhile: number again
            if codes[2] == "ConditionalCheckFailed":
                raise LimitReached(
                    f"at most {limits.questions_per_invoice} questions on one invoice; please write to us",
                    field="text",
                    code="questions_per_invoice",
                ) from exc
            if set(codes) <= {"TransactionConflict", "None", None}:
                continue  # another write to the same invoice at the same moment
            raise RetryableError(f"storing the question failed: {exc}") from exc
        return True
    raise RetryableError("storing the question failed: too much contention")


def record_offer_click(
    tenant_id: str, invoice_id: str, offer_id: str, now: datetime, limits: PageLimits
) -> None:
    at = now.astimezone(UTC)
    day = at.date()
    key = activity_key(tenant_id, invoice_id)
    for _ in range(ATTEMPTS):
        try:
            with Transaction(connection=_connection()) as tx:
                _count_today(
                    tx, tenant_id, invoice_id, day, PageActivityModel.clicks, limits.offer_clicks_per_day
                )
                tx.update(
                    PageActivityModel(key, f"click#{offer_id}"),
                    actions=[
                        PageActivityModel.click_count.add(1),
                        PageActivityModel.first_at.set(PageActivityModel.first_at | at),
                        PageActivityModel.last_at.set(at),
                    ],
                )
        except TransactWriteError as exc:
            codes = codes_as_added(exc, tx)
            if codes and codes[0] == "ConditionalCheckFailed":
                raise LimitReached(
                    f"at most {limits.offer_clicks_per_day} offer clicks a day on one invoice",
                    field="offer_id",
                    code="offer_clicks_per_day",
                ) from exc
            if codes and set(codes) <= {"TransactionConflict", "None", None}:
                continue
            raise RetryableError(f"counting the click failed: {exc}") from exc
        return
    raise RetryableError("counting the click failed: too much contention")


def questions_of(tenant_id: str, invoice_id: str) -> list[dict[str, Any]]:
    """The questions stored for the invoice, in the shape the page and dunning read."""
    return [
        {
            "question_id": item.item_key[2:],
            "asked_at": item.asked_at,
            "text": item.text or "",
            "line_id": item.line_id,
            "answered_at": item.answered_at,
            "answer": item.answer,
        }
        for item in PageActivityModel.query(
            activity_key(tenant_id, invoice_id),
            PageActivityModel.item_key.startswith("q#"),
            consistent_read=True,
        )
    ]


def open_key(asked_at: datetime, invoice_id: str, question_id: str) -> str:
    """The question's place in the tenant's open questions: when it was asked (UTC, so the string
    order is the time order), then invoice and question to make it unique."""
    return f"{asked_at.astimezone(UTC).isoformat()}#{invoice_id}#{question_id}"


def open_questions(
    tenant_id: str, after: str | None, limit: int, newest_first: bool
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the tenant's unanswered questions from the sparse open_questions_index: one Query
    reading `limit` + 1 items at most (about one read unit per 4 KB), whatever the tenant's number of
    invoices or answered questions. `after` is the last open_key seen; the next one is returned while
    there may be more."""
    condition = None
    if after is not None:
        key = PageActivityModel.open_key
        condition = key < after if newest_first else key > after
    found = [
        {
            "invoice_id": item.invoice_key.split("#", 1)[1],
            "question_id": item.item_key[2:],
            "asked_at": item.asked_at,
            "text": item.text or "",
            "line_id": item.line_id,
            "open_key": item.open_key,
        }
        for item in PageActivityModel.open_questions_index.query(
            tenant_id, condition, scan_index_forward=not newest_first, limit=limit + 1, page_size=limit + 1
        )
    ]
    page = found[:limit]
    return page, (page[-1]["open_key"] if len(found) > limit else None)


def offer_clicks_of(tenant_id: str, invoice_id: str) -> int:
    return sum(
        int(item.click_count or 0)
        for item in PageActivityModel.query(
            activity_key(tenant_id, invoice_id), PageActivityModel.item_key.startswith("click#")
        )
    )


def claim_support_notice(tenant_id: str, invoice_id: str) -> bool:
    # PynamoDB conditions compare with ==, which ruff takes for a comparison to True (E712).
    unclaimed = (
        InvoiceModel.invoice_id.exists()
        & (InvoiceModel.question_open == True)  # noqa: E712
        & (InvoiceModel.support_notified.does_not_exist() | (InvoiceModel.support_notified == False))  # noqa: E712
    )
    return written(
        partial(
            InvoiceModel(tenant_id, invoice_id).update,
            actions=[InvoiceModel.support_notified.set(True)],
            condition=unclaimed,
        ),
        "claiming the support notice",
    )


def release_support_notice(tenant_id: str, invoice_id: str) -> None:
    InvoiceModel(tenant_id, invoice_id).update(actions=[InvoiceModel.support_notified.set(False)])


def answer_question(request: QuestionAnswer) -> InvoiceModel:
    """Store the answer (in the question's own item, or in a legacy list on the invoice item);
    `question_open` stays true while any question is unanswered. Returns the invoice item as stored.

    `answered(all_answered)` drafts the question.answered event, numbered on the invoice's stream in
    the answer's own transaction; the same words stored again (a retried request) write no event."""
    tenant_id, invoice_id, question_id = request.tenant_id, request.invoice_id, request.question_id
    answer, at, answered = request.answer, request.at, request.answered
    answered_at = at.astimezone(UTC).isoformat()
    key = activity_key(tenant_id, invoice_id)
    for _ in range(ATTEMPTS):
        try:
            item = InvoiceModel.get(tenant_id, invoice_id, consistent_read=True)
        except DoesNotExist as exc:
            raise PermanentError(f"no invoice {invoice_id}", field="invoice") from exc
        legacy = [dict(q) for q in item.questions or []]
        target = next((q for q in legacy if q.get("question_id") == question_id), None)
        unanswered = int(item.questions_unanswered or 0)
        stored_question: PageActivityModel | None = None
        if target is None:
            try:
                stored_question = PageActivityModel.get(key, f"q#{question_id}", consistent_read=True)
            except DoesNotExist as exc:
                raise PermanentError(f"no question {question_id} on this invoice", field="question") from exc
            if not stored_question.answered_at:
                unanswered = max(0, unanswered - 1)
            repeated = stored_question.answer == answer
        else:
            repeated = target.get("answer") == answer
            target["answer"] = answer
            target["answered_at"] = answered_at
        still_open = unanswered > 0 or any(not q.get("answered_at") for q in legacy)
        actions: list[Any] = [
            InvoiceModel.question_open.set(still_open),
            InvoiceModel.questions_unanswered.set(unanswered),
            InvoiceModel.version.add(1),
        ]
        if target is not None:
            actions.append(InvoiceModel.questions.set(legacy))
        if not still_open:
            actions.append(InvoiceModel.support_notified.set(False))  # the next question starts a round
        event = None
        if answered is not None and not repeated:
            seq = int(item.event_seq or 0) + 1  # the version condition below keeps it the next one
            event = on_invoice(answered(not still_open), tenant_id, invoice_id, seq)
            actions.append(InvoiceModel.event_seq.set(seq))
        try:
            with item_size_guard(f"invoice {key}"), Transaction(connection=_connection()) as tx:
                tx.update(
                    InvoiceModel(tenant_id, invoice_id),
                    actions=actions,
                    condition=InvoiceModel.version == item.version,
                )
                if stored_question is not None:
                    tx.update(
                        stored_question,
                        actions=[
                            PageActivityModel.answer.set(answer),
                            PageActivityModel.answered_at.set(answered_at),
                            # out of the open questions' index (open_questions below)
                            PageActivityModel.open_tenant.remove(),
                            PageActivityModel.open_key.remove(),
                        ],
                        condition=PageActivityModel.item_key.exists(),
                    )
                if event is not None:
                    add_event(tx, event, datetime.now(UTC))
        except TransactWriteError as exc:
            codes = codes_as_added(exc, tx)
            if codes and set(codes) <= {"ConditionalCheckFailed", "TransactionConflict", None}:
                continue
            raise RetryableError(f"storing the answer failed: {exc}") from exc
        return InvoiceModel.get(tenant_id, invoice_id, consistent_read=True)
    raise RetryableError("storing the answer failed: too much contention")


def _connection() -> Any:
    from billing.adapters.dynamo.stores import connection as shared

    return shared()
