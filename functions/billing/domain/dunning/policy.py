"""A tenant's reminder policy as data: reminder steps, tone ladder, mandate retries and relief limits.

The policy is stored per tenant (as JSON) and read at that boundary by
billing.services.dunning.policy_document; constructing a `ReminderPolicy` validates it, so a policy
that exists is a policy the rules can apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from billing.domain.dunning.errors import ReminderPolicyError

# Lag (1981:739) om ersättning för inkassokostnader m.m. 2 § with förordning (1981:1057): a written
# payment reminder may cost at most 60 kr, and only if agreed when the debt arose.
LEGAL_MAX_REMINDER_FEE_ORE = 6000

# Bounds that keep a typo (e.g. 3000 days) from becoming a policy; no tenant needs more.
_MAX_DAYS = 365
_MAX_RETRIES = 10
_MAX_STEPS = 10
_MAX_INSTALMENTS = 24


class Tone(StrEnum):
    """How plainly a reminder speaks, gentlest first. Never threatening at any rung."""

    GENTLE = "gentle"
    FRIENDLY = "friendly"
    CLEAR = "clear"

    @property
    def rank(self) -> int:
        return _TONE_ORDER.index(self)

    def clearer(self) -> Tone:
        """One rung clearer, staying at the top rung when already there."""
        return _TONE_ORDER[min(self.rank + 1, len(_TONE_ORDER) - 1)]


_TONE_ORDER: tuple[Tone, ...] = (Tone.GENTLE, Tone.FRIENDLY, Tone.CLEAR)


@dataclass(frozen=True)
class ReminderStep:
    """One reminder: sent `days_after_due` days after the due date, with a fee or not, in a tone."""

    days_after_due: int
    fee: bool
    tone: Tone


@dataclass(frozen=True)
class ReminderPolicy:
    """What a tenant does when an invoice is late.

    - `steps`: reminders in order; `days_after_due` strictly increasing and at least 1, tones never
      getting gentler along the ladder.
    - `reminder_fee_ore`: the fee a step with `fee=True` charges, in öre (SEK only), at most 6000.
    - `mandate_retry_days`: for invoices paid by mandate (card via Stripe, or Autogiro): retry n is
      made `mandate_retry_days[n-1]` days after the first failed charge; strictly increasing.
      Reminders wait until every retry has failed.
    - `charge_interest`: whether reminders state late-payment interest under the Interest Act.
    - `long_standing_months` / `repeated_lateness_count`: the tone rules (see `choose_tone`).
    - `resume_grace_days`: days after a customer's question is answered before reminders resume.
    - `max_question_pause_days`: the longest pause questions can give one invoice's reminders, counted
      from its first question (default 14): asking again after every answer cannot pause them forever.
    - `max_due_date_move_days`: how far past the original due date a customer may move it (0: off).
    - `max_instalments`: how many instalments a customer may split into (below 2: off).
    """

    steps: tuple[ReminderStep, ...]
    mandate_retry_days: tuple[int, ...] = ()
    reminder_fee_ore: int = 0
    charge_interest: bool = True
    long_standing_months: int = 24
    repeated_lateness_count: int = 2
    resume_grace_days: int = 3
    max_question_pause_days: int = 14
    max_due_date_move_days: int = 0
    max_instalments: int = 0

    def __post_init__(self) -> None:
        _validate(self)

    @property
    def allows_due_date_move(self) -> bool:
        return self.max_due_date_move_days > 0

    @property
    def allows_instalments(self) -> bool:
        return self.max_instalments >= 2


def _validate(policy: ReminderPolicy) -> None:
    if len(policy.steps) > _MAX_STEPS:
        raise ReminderPolicyError("steps", f"at most {_MAX_STEPS} reminder steps")
    previous: ReminderStep | None = None
    for i, step in enumerate(policy.steps):
        field = f"steps[{i}]"
        _require_int(step.days_after_due, f"{field}.days_after_due", low=1, high=_MAX_DAYS)
        if not isinstance(step.fee, bool):
            raise ReminderPolicyError(f"{field}.fee", "must be true or false")
        if not isinstance(step.tone, Tone):
            raise ReminderPolicyError(f"{field}.tone", f"must be one of {[t.value for t in Tone]}")
        if previous is not None:
            if step.days_after_due <= previous.days_after_due:
                raise ReminderPolicyError(f"{field}.days_after_due", "must be later than the previous step's")
            if step.tone.rank < previous.tone.rank:
                raise ReminderPolicyError(f"{field}.tone", "a later step may not be gentler than an earlier")
        previous = step

    _require_int(policy.reminder_fee_ore, "reminder_fee_ore", low=0, high=LEGAL_MAX_REMINDER_FEE_ORE)
    if any(step.fee for step in policy.steps) and policy.reminder_fee_ore == 0:
        raise ReminderPolicyError("reminder_fee_ore", "a step charges a fee but the fee is 0")

    if len(policy.mandate_retry_days) > _MAX_RETRIES:
        raise ReminderPolicyError("mandate_retry_days", f"at most {_MAX_RETRIES} retries")
    last = 0
    for i, days in enumerate(policy.mandate_retry_days):
        _require_int(days, f"mandate_retry_days[{i}]", low=1, high=_MAX_DAYS)
        if days <= last:
            raise ReminderPolicyError(f"mandate_retry_days[{i}]", "must be later than the previous retry")
        last = days

    if not isinstance(policy.charge_interest, bool):
        raise ReminderPolicyError("charge_interest", "must be true or false")
    _require_int(policy.long_standing_months, "long_standing_months", low=1, high=1200)
    _require_int(policy.repeated_lateness_count, "repeated_lateness_count", low=1, high=1000)
    _require_int(policy.resume_grace_days, "resume_grace_days", low=0, high=_MAX_DAYS)
    _require_int(policy.max_question_pause_days, "max_question_pause_days", low=1, high=_MAX_DAYS)
    _require_int(policy.max_due_date_move_days, "max_due_date_move_days", low=0, high=_MAX_DAYS)
    _require_int(policy.max_instalments, "max_instalments", low=0, high=_MAX_INSTALMENTS)


def _require_int(value: object, field: str, *, low: int, high: int) -> None:
    # bool is an int subclass; `true` as a number of days is a typo, not a policy.
    if not isinstance(value, int) or isinstance(value, bool):
        raise ReminderPolicyError(field, "must be a whole number")
    if not low <= value <= high:
        raise ReminderPolicyError(field, f"must be between {low} and {high}")
