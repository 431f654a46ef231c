"""Pausing a subscription (issue 18): the customer holds the recurring fees for whole billing periods
where the merchant allows it (page setting `pauses`), and the subscription resumes by itself. Pure
rules: the merchant's policy as the tenant file states it, the choices a customer has on a day, the
check of a choice, and the pauses' stored shape beside the subscription document (read back by
billing.domain.scenario.parse_subscription, like the rest of it).

What a pause is, and why:
- It starts when the current period ends. That period's fees were billed in advance, so it runs out as
  paid: nothing is credited, nothing prorated, and no invoice already sent changes.
- It lasts whole periods (n times the plan's interval, at most `max_months`), so it ends on a period
  start and the periods after it are the ones there would have been (an anniversary on the 31st stays
  Jan 31, Feb 28, Mar 31). On its end the fees resume: no one has to remember to switch it back on.
- Usage that still arrives in a paused period is billed as usual, in arrears on the next invoice: the
  pause holds the fee for a service the customer does not want for a while, not a metered service they
  did use. A paused period owes no minimum commitment, and cancelling "now" inside one credits nothing
  (no fee was billed for it) (billing.domain.pricing.lines).
- How often: at most `per_year` pauses beginning within any 12 months, never a second while one is
  scheduled or running, and none on a subscription that already has an end date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from billing.domain.catalog import Pause, Subscription
from billing.domain.errors import FieldError
from billing.domain.periods import Interval, Period, add_months, next_period, period_containing

_POLICY_KEYS = frozenset({"max_months", "per_year"})


class PauseError(FieldError):
    """A pause policy or a pause request is refused; `field` names what is wrong."""


@dataclass(frozen=True)
class PausePolicy:
    """The merchant's page setting `pauses: {max_months: 3, per_year: 1}`."""

    max_months: int  # the longest pause, in months (1-12)
    per_year: int = 1  # pauses that may begin within any 12 months (1-12)


@dataclass(frozen=True)
class PauseChoice:
    months: int
    pause: Pause


def _whole(section: Mapping[str, Any], key: str, default: int | None) -> int:
    value = section.get(key, default)
    if value is None:
        raise PauseError(f"pauses.{key}", "is required: a whole number of months from 1 to 12")
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 12:
        raise PauseError(f"pauses.{key}", f"must be a whole number from 1 to 12, not {value!r}")
    return value


def pause_policy(page: Mapping[str, Any]) -> PausePolicy | None:
    """The merchant's pause policy from the page settings; None when they allow no pause."""
    section = page.get("pauses")
    if section is None:
        return None
    if not isinstance(section, Mapping):
        raise PauseError("pauses", "must be a mapping with max_months and per_year")
    unknown = sorted(set(section) - _POLICY_KEYS)
    if unknown:
        raise PauseError(f"pauses.{unknown[0]}", "unknown key; expected max_months, per_year")
    return PausePolicy(
        max_months=_whole(section, "max_months", None), per_year=_whole(section, "per_year", 1)
    )


def months_of(pause: Pause) -> int:
    """Whole months a pause spans (its ends are period starts on the same anchor day)."""
    return (pause.end.year - pause.start.year) * 12 + pause.end.month - pause.start.month


def current_pause(subscription: Subscription, today: date) -> Pause | None:
    """The pause running or still to come on `today`, if any."""
    return next((p for p in subscription.pauses if p.end > today), None)


def pause_choices(
    subscription: Subscription, interval: Interval, today: date, policy: PausePolicy
) -> list[PauseChoice]:
    """Every pause the policy allows from the end of the current period, shortest first."""
    anchor, anchor_day = subscription.anchor, subscription.anchor_day
    period: Period = period_containing(today, interval, anchor, anchor_day)
    start = period.end
    choices = []
    months = interval.months
    while months <= policy.max_months:
        period = next_period(period, interval, anchor, anchor_day)
        choices.append(PauseChoice(months, Pause(start, period.end, today)))
        months += interval.months
    return choices


def check_pause(
    subscription: Subscription, interval: Interval, today: date, policy: PausePolicy | None, months: int
) -> Pause:
    """The pause of `months` the customer may take on `today`, or PauseError saying why not."""
    if policy is None:
        raise PauseError("months", "this subscription cannot be paused")
    if subscription.end_date is not None:
        last = subscription.end_date.isoformat()
        raise PauseError("months", f"the subscription ends on {last}: an ending subscription is not paused")
    if subscription.plan_code_on(today) is None:
        raise PauseError("months", "the subscription has not started: pause it once it runs")
    running = current_pause(subscription, today)
    if running is not None:
        raise PauseError(
            "months", f"paused already from {running.start.isoformat()} until {running.end.isoformat()}"
        )
    choices = pause_choices(subscription, interval, today, policy)
    chosen = next((c.pause for c in choices if c.months == months), None)
    if chosen is None:
        allowed = ", ".join(str(c.months) for c in choices) or "none for this plan's billing period"
        raise PauseError("months", f"{months} is not a pause on offer; months allowed: {allowed}")
    year_before = add_months(chosen.start, -12)
    recent = [p for p in subscription.pauses if p.start > year_before]
    if len(recent) >= policy.per_year:
        raise PauseError(
            "months",
            f"{policy.per_year} pause(s) within 12 months; the last began on {recent[-1].start.isoformat()}",
        )
    return chosen


def offered_pauses(
    subscription: Subscription, interval: Interval, today: date, policy: PausePolicy | None
) -> list[PauseChoice]:
    """The choices `check_pause` would accept today (none when the policy or the state allows none)."""
    offered = []
    for choice in pause_choices(subscription, interval, today, policy) if policy else []:
        try:
            check_pause(subscription, interval, today, policy, choice.months)
        except PauseError:
            continue
        offered.append(choice)
    return offered


def with_pause(subscription: Subscription, pause: Pause) -> Subscription:
    return replace(subscription, pauses=tuple(sorted((*subscription.pauses, pause), key=lambda p: p.start)))


def pauses_to_document(pauses: Sequence[Pause]) -> list[dict[str, str]]:
    return [
        {"start": p.start.isoformat(), "end": p.end.isoformat(), "decided_on": p.decided_on.isoformat()}
        for p in pauses
    ]
