"""A tenant's reminder policy as stored (`page["reminders"]`), read by pydantic into the domain's
`ReminderPolicy`, and the JSON form written back.

    {"steps": [{"days_after_due": 5, "fee": false, "tone": "friendly"},
               {"days_after_due": 20, "fee": true, "tone": "clear"}],
     "reminder_fee_ore": 6000, "mandate_retry_days": [3, 7], "charge_interest": true,
     "max_due_date_move_days": 14, "max_instalments": 3}

docs/dunning.md names every key. pydantic checks the shape (unknown keys are refused, not ignored: a
misspelt `reminder_fee` must not silently mean no fee); `ReminderPolicy` itself checks what the values
mean (bounds, steps later and never gentler), so a policy that exists is one the rules can apply. A key
left out takes the domain's default, which is stated once, on `ReminderPolicy`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from pydantic import BaseModel, ConfigDict, StrictBool, StrictInt, ValidationError

from billing.domain.dunning.errors import ReminderPolicyError
from billing.domain.dunning.policy import ReminderPolicy, ReminderStep, Tone
from billing.services.errors import document_refusal


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StepDocument(_Document):
    days_after_due: StrictInt
    fee: StrictBool
    tone: Tone


class PolicyDocument(_Document):
    steps: list[StepDocument]
    mandate_retry_days: list[StrictInt] | None = None
    reminder_fee_ore: StrictInt | None = None
    charge_interest: StrictBool | None = None
    long_standing_months: StrictInt | None = None
    repeated_lateness_count: StrictInt | None = None
    resume_grace_days: StrictInt | None = None
    max_question_pause_days: StrictInt | None = None
    max_due_date_move_days: StrictInt | None = None
    max_instalments: StrictInt | None = None

    def policy(self) -> ReminderPolicy:
        given = self.model_dump(exclude_none=True, exclude={"steps", "mandate_retry_days"})
        return ReminderPolicy(
            steps=tuple(ReminderStep(s.days_after_due, s.fee, s.tone) for s in self.steps),
            mandate_retry_days=tuple(self.mandate_retry_days or ()),
            **given,
        )


def reminder_policy(document: Any) -> ReminderPolicy:
    """The policy a tenant stored; `ReminderPolicyError` names the stored field and says why."""
    if not isinstance(document, Mapping):
        raise ReminderPolicyError("policy", "must be an object")
    try:
        parsed = PolicyDocument.model_validate(dict(document))
    except ValidationError as exc:
        field, reason = document_refusal(exc.errors())
        raise ReminderPolicyError(field or "policy", reason) from None
    return parsed.policy()


def reminder_policy_json(policy: ReminderPolicy) -> dict[str, Any]:
    """The JSON form `reminder_policy` reads (for storing a tenant's policy)."""
    return PolicyDocument.model_validate(asdict(policy)).model_dump(mode="json")
