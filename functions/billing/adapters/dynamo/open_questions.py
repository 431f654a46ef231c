"""The tenant's open questions (billing.services.invoices.open_questions.OpenQuestionReads), from
page activity's sparse `open_questions_index` (adapters/dynamo/page_activity.open_questions)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from billing.adapters.dynamo import page_activity


class DynamoOpenQuestions:
    @staticmethod
    def open_questions(
        tenant_id: str, after: str | None, limit: int, newest_first: bool
    ) -> tuple[Sequence[dict[str, Any]], str | None]:
        return page_activity.open_questions(tenant_id, after, limit, newest_first)
