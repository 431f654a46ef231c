"""How customers answered a price change's notice: for the merchant (`GET /v1/plans/{code}`,
`billing catalog uptake`) and for the engagement report, which counts notices and choices per month
(`notice_counts`)."""

from __future__ import annotations

from collections import Counter
from typing import Protocol

from billing.services.price_changes.fields import Uptake
from billing.services.price_changes.ports import Notice, ScheduledChange


class NoticeReads(Protocol):
    def notices(self, tenant_id: str, version: str) -> list[Notice]: ...

    def changes(self, tenant_id: str) -> list[ScheduledChange]: ...


def uptake(store: NoticeReads, change: ScheduledChange) -> Uptake:
    notices = store.notices(change.tenant_id, change.version)
    choices = Counter(n.choice for n in notices)
    return Uptake(
        affected=len(notices),
        notices_sent=sum(1 for n in notices if n.status == "sent"),
        accepted=choices["accept"],
        switched=choices["switch"],
        left=choices["leave"],
        no_choice=choices[None],
        carried_out=sum(1 for n in notices if n.outcome is not None),
    )


def notice_counts(store: NoticeReads, tenant_id: str) -> dict[str, Counter[str]]:
    """Per month ("2027-01"): notices sent (by the month of their change's scheduling) and choices
    made (by the month chosen), keyed "notices", "accept", "switch", "leave". For the engagement
    report (`billing report engagement`)."""
    months: dict[str, Counter[str]] = {}
    for change in store.changes(tenant_id):
        for notice in store.notices(tenant_id, change.version):
            if notice.status == "sent":
                months.setdefault(change.created_at.strftime("%Y-%m"), Counter())["notices"] += 1
            if notice.choice and notice.chosen_at:
                months.setdefault(notice.chosen_at.strftime("%Y-%m"), Counter())[notice.choice] += 1
    return dict(sorted(months.items()))
