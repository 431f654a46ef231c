"""The customer's answer to a price-change notice, through its page's token
(`POST /v1/pages/{token}/price-change`, field `choice`): accept, switch to the suggested plan, or
leave free of charge by the effective date. Recorded until the effective date (the same choice again
changes nothing; another one replaces it), carried out on it (carry_out.py). The page is published
again so it shows the choice."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from billing.domain.price_change import CHOICES
from billing.services.errors import PermanentError
from billing.services.ports import Clock
from billing.services.price_changes.ports import Notice, NoticeSender, PriceChangeStore


class NoticeNotFound(PermanentError):
    pass


class ChoiceClosed(PermanentError):
    """The effective date has come: the choice was carried out and cannot change."""


@dataclass(frozen=True)
class ChooseOnNotice:
    store: PriceChangeStore
    sender: NoticeSender
    clock: Clock

    def __call__(self, token: str, choice: Any) -> Notice:
        notice = self.store.notice_by_token(token)
        if notice is None:
            raise NoticeNotFound("no such notice", field="token", code="not_found")
        if choice not in CHOICES:
            raise PermanentError(f"one of {', '.join(CHOICES)}", field="choice")
        if choice == "switch" and notice.suggestion is None:
            raise PermanentError("no other plan fits better: accept or leave", field="choice")
        tenant = self.store.tenant(notice.tenant_id)
        change = next((c for c in self.store.changes(notice.tenant_id) if c.version == notice.version), None)
        if change is None:
            raise NoticeNotFound("no such notice", field="token", code="not_found")
        now = self.clock.now()
        today = now.astimezone(ZoneInfo(tenant.settings.timezone)).date()
        if notice.outcome is not None or today >= change.effective_date:
            raise ChoiceClosed("the change has taken effect; the choice is closed", field="choice")
        if notice.choice == choice:
            return notice
        chosen = self.store.choose(notice, choice, now)
        if chosen is None:
            raise ChoiceClosed("the change has taken effect; the choice is closed", field="choice")
        self.sender.publish(tenant, change, chosen)
        return chosen
