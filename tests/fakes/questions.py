"""In-memory `OpenQuestionReads` (services/invoices/open_questions.py): a tenant's unanswered
questions in asking order, a page after a position "<asked at>#<invoice id>#<question id>", as
adapters/dynamo/page_activity keys them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class FakeOpenQuestions:
    questions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # tenant -> questions

    def ask(self, tenant_id: str, invoice_id: str, question_id: str, asked_at: str, text: str) -> None:
        self.questions.setdefault(tenant_id, []).append(
            {"invoice_id": invoice_id, "question_id": question_id, "asked_at": asked_at, "text": text}
        )

    def answer(self, tenant_id: str, question_id: str) -> None:
        self.questions[tenant_id] = [
            q for q in self.questions.get(tenant_id, []) if q["question_id"] != question_id
        ]

    @staticmethod
    def position(question: dict[str, Any]) -> str:
        return f"{question['asked_at']}#{question['invoice_id']}#{question['question_id']}"

    def open_questions(
        self, tenant_id: str, after: str | None, limit: int, newest_first: bool
    ) -> tuple[Sequence[dict[str, Any]], str | None]:
        ordered = sorted(self.questions.get(tenant_id, []), key=self.position, reverse=newest_first)
        if after is not None:
            ordered = [
                q for q in ordered if (self.position(q) < after if newest_first else self.position(q) > after)
            ]
        page = ordered[:limit]
        return page, self.position(page[-1]) if len(ordered) > limit else None
