"""Parsing the reference-rate data and the tenant's reminder policy: bad data is refused by field."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from dunning_builders import a_policy

from billing.domain.dunning import (
    ReferenceRateError,
    ReminderPolicyError,
    ReminderStep,
    Tone,
    parse_reference_rates,
)
from billing.services.dunning.policy_document import reminder_policy, reminder_policy_json


def test_rates_are_looked_up_by_half_year_in_any_order_of_the_file() -> None:
    # Given entries out of order / When parsed
    rates = parse_reference_rates(
        [
            {"effective_from": "2024-07-01", "rate_percent": "4.00"},
            {"effective_from": "2024-01-01", "rate_percent": "-0.50"},
        ]
    )
    # Then each day gets its half-year's rate and the coverage ends on 31 December
    assert rates.rate_on(date(2024, 6, 30)) == Decimal("-0.50")
    assert rates.rate_on(date(2024, 7, 1)) == Decimal("4.00")
    assert rates.covers(date(2024, 12, 31))
    assert not rates.covers(date(2025, 1, 1))
    assert not rates.covers(date(2023, 12, 31))


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"effective_from": "2024-01-01", "rate_percent": "4.00"}, "rates"),
        ([], "rates"),
        ([{"effective_from": "2024-02-01", "rate_percent": "4.00"}], "[0].effective_from"),
        ([{"effective_from": "2024-01-01", "rate_percent": 4.0}], "[0].rate_percent"),
        ([{"effective_from": "2024-01-01", "rate_percent": "4"}], "[0].rate_percent"),
        ([{"effective_from": "2024-01-01", "rate_percent": "4.001"}], "[0].rate_percent"),
        ([{"effective_from": "2024-13-01", "rate_percent": "4.00"}], "[0].effective_from"),
        ([{"effective_from": "2024-01-01"}], "[0]"),
        (
            [
                {"effective_from": "2024-01-01", "rate_percent": "4.00"},
                {"effective_from": "2025-01-01", "rate_percent": "3.00"},
            ],
            "[1].effective_from",
        ),
        (
            [
                {"effective_from": "2024-01-01", "rate_percent": "4.00"},
                {"effective_from": "2024-01-01", "rate_percent": "3.00"},
            ],
            "rates",
        ),
    ],
)
def test_malformed_rate_data_is_refused_naming_the_field(data: Any, field: str) -> None:
    # Given a malformed file (a float, a gap, a mid-month date, ...) / When parsed / Then refused
    with pytest.raises(ReferenceRateError) as error:
        parse_reference_rates(data)
    assert error.value.field == field


def test_a_policy_survives_its_json_form() -> None:
    # Given a valid policy / When written as JSON and read back / Then it is the same policy
    policy = a_policy(mandate_retry_days=(3, 7))
    assert reminder_policy(reminder_policy_json(policy)) == policy


def test_a_minimal_policy_gets_gentle_defaults() -> None:
    # Given only steps / When parsed
    policy = reminder_policy({"steps": [{"days_after_due": 7, "fee": False, "tone": "gentle"}]})
    # Then no fee, no retries, no relief until the tenant turns them on
    assert policy.reminder_fee_ore == 0
    assert policy.mandate_retry_days == ()
    assert not policy.allows_due_date_move
    assert not policy.allows_instalments


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"reminder_fee_ore": 6001}, "reminder_fee_ore"),
        ({"reminder_fee_ore": -1}, "reminder_fee_ore"),
        (
            {"steps": (ReminderStep(5, True, Tone.FRIENDLY),), "reminder_fee_ore": 0},
            "reminder_fee_ore",
        ),
        ({"steps": (ReminderStep(0, False, Tone.FRIENDLY),)}, "steps[0].days_after_due"),
        (
            {"steps": (ReminderStep(10, False, Tone.FRIENDLY), ReminderStep(10, False, Tone.CLEAR))},
            "steps[1].days_after_due",
        ),
        (
            {"steps": (ReminderStep(5, False, Tone.CLEAR), ReminderStep(10, False, Tone.GENTLE))},
            "steps[1].tone",
        ),
        ({"mandate_retry_days": (3, 3)}, "mandate_retry_days[1]"),
        ({"mandate_retry_days": (0,)}, "mandate_retry_days[0]"),
        ({"max_due_date_move_days": -2}, "max_due_date_move_days"),
        ({"max_instalments": True}, "max_instalments"),
        ({"resume_grace_days": 1.5}, "resume_grace_days"),
    ],
)
def test_an_unacceptable_policy_is_refused_naming_the_field(overrides: dict[str, Any], field: str) -> None:
    # Given a policy with one bad value / When constructed / Then refused with that field
    with pytest.raises(ReminderPolicyError) as error:
        a_policy(**overrides)
    assert error.value.field == field


@pytest.mark.parametrize(
    ("obj", "field"),
    [
        ({"steps": [], "reminder_fee": 6000}, "reminder_fee"),
        ({"steps": [{"days_after_due": 5, "fee": False}]}, "steps[0].tone"),
        ({"steps": [{"days_after_due": 5, "fee": False, "tone": "stern"}]}, "steps[0].tone"),
        ({"steps": [{"days_after_due": 5, "fee": "yes", "tone": "clear"}]}, "steps[0].fee"),
        ({"steps": "none"}, "steps"),
    ],
)
def test_policy_json_with_unknown_or_missing_keys_is_refused(obj: dict[str, Any], field: str) -> None:
    with pytest.raises(ReminderPolicyError) as error:
        reminder_policy(obj)
    assert error.value.field == field


def test_a_policy_key_set_to_null_takes_its_default() -> None:
    # Given a YAML policy whose empty keys arrive as null / Then each takes the domain's default
    policy = reminder_policy({"steps": [], "reminder_fee_ore": None, "max_instalments": None})
    assert (policy.reminder_fee_ore, policy.max_instalments) == (0, 0)


@pytest.mark.parametrize(
    ("obj", "field", "reason"),
    [
        (
            {"steps": [{"days_after_due": "5", "fee": False, "tone": "gentle"}]},
            "steps[0].days_after_due",
            "whole",
        ),
        ({"steps": [], "charge_interest": "yes"}, "charge_interest", "true or false"),
        ({"steps": [], "mandate_retry_days": [3, "7"]}, "mandate_retry_days[1]", "whole"),
        ({"steps": [{"days_after_due": 5, "fee": False, "tone": "stern"}]}, "steps[0].tone", "gentle"),
        ([], "policy", "object"),
    ],
)
def test_a_refusal_says_why_in_the_merchants_words(obj: Any, field: str, reason: str) -> None:
    with pytest.raises(ReminderPolicyError) as error:
        reminder_policy(obj)
    assert (error.value.field, reason in error.value.reason) == (field, True), error.value
