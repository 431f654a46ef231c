"""The customer's mandate and the daily collector's decisions after an off-session charge."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from payments_builders import T0

from billing.domain.payments import (
    ChargeResult,
    ChargeStatus,
    CollectorAction,
    FallbackReason,
    Mandate,
    MandateActivated,
    MandateDetached,
    MandateStatus,
    MandateUpdated,
    PaymentDataError,
    apply_mandate_event,
    decide_after_charge,
    validate_retry_schedule,
)


def activated(*, setup: str = "seti_1", method: str = "pm_1", mandate: str | None = "mandate_1", t: int = 0):
    return MandateActivated(
        event_id=f"evt_{setup}",
        event_type="setup_intent.succeeded",
        occurred_at=T0 + timedelta(seconds=t),
        invoice_id="inv_1",
        customer_id="c-1",
        customer_ref="cus_1",
        payment_method_ref=method,
        mandate_ref=mandate,
        setup_ref=setup,
    )


def updated(status: MandateStatus, *, mandate: str = "mandate_1") -> MandateUpdated:
    return MandateUpdated(
        event_id=f"evt_m_{status}",
        event_type="mandate.updated",
        occurred_at=T0,
        mandate_ref=mandate,
        payment_method_ref="pm_1",
        status=status,
    )


def detached(method: str = "pm_1") -> MandateDetached:
    return MandateDetached(
        event_id="evt_d",
        event_type="payment_method.detached",
        occurred_at=T0,
        payment_method_ref=method,
        customer_ref="cus_1",
    )


def test_a_succeeded_setup_records_an_active_mandate() -> None:
    # Given no mandate, When a setup succeeds
    outcome = apply_mandate_event(None, activated())
    # Then the customer has an active, usable mandate
    assert outcome.changed and outcome.mandate is not None and outcome.mandate.usable
    assert (outcome.mandate.payment_method_ref, outcome.mandate.mandate_ref) == ("pm_1", "mandate_1")


def test_a_late_activation_of_an_older_setup_never_replaces_a_newer_one() -> None:
    # Given a mandate from a setup at t=100
    newer = apply_mandate_event(None, activated(setup="seti_2", method="pm_2", t=100)).mandate
    # When an older setup's activation (t=0) arrives late, or the same one is replayed
    late = apply_mandate_event(newer, activated(setup="seti_1", t=0))
    replay = apply_mandate_event(newer, activated(setup="seti_2", method="pm_2", t=100))
    # Then nothing changes
    assert late.mandate == newer and not late.changed
    assert replay.mandate == newer and not replay.changed


def test_inactive_and_detached_fall_back_exactly_once_in_any_order() -> None:
    # Given an active mandate, and the bank's "inactive" and the detach, in either order (and replayed)
    start = apply_mandate_event(None, activated()).mandate
    for order in itertools.permutations([updated(MandateStatus.INACTIVE), detached(), detached()]):
        mandate, fallbacks = start, []
        # When they are folded in
        for event in order:
            outcome = apply_mandate_event(mandate, event)
            mandate = outcome.mandate
            if outcome.fallback:
                fallbacks.append(outcome.fallback)
        # Then automatic payment stops once, and the mandate is unusable
        assert len(fallbacks) == 1
        assert mandate is not None and not mandate.usable


def test_a_late_active_never_revives_an_inactive_mandate() -> None:
    # Given a mandate made inactive, When a stale "active" arrives, Then it stays inactive
    mandate = apply_mandate_event(None, activated()).mandate
    mandate = apply_mandate_event(mandate, updated(MandateStatus.INACTIVE)).mandate
    outcome = apply_mandate_event(mandate, updated(MandateStatus.ACTIVE))
    assert (
        not outcome.changed
        and outcome.mandate is not None
        and outcome.mandate.status is MandateStatus.INACTIVE
    )


def test_events_about_other_mandates_or_methods_change_nothing() -> None:
    # Given an active mandate, When another method is detached or another mandate updated
    mandate = apply_mandate_event(None, activated()).mandate
    for event in (detached("pm_other"), updated(MandateStatus.INACTIVE, mandate="mandate_other")):
        outcome = apply_mandate_event(mandate, event)
        # Then nothing changes
        assert not outcome.changed and outcome.mandate == mandate and outcome.fallback is None
    # And without any mandate, updates are ignored
    assert apply_mandate_event(None, detached()).mandate is None


def test_a_card_mandate_has_no_mandate_object_and_is_still_usable() -> None:
    # Given a card setup (cards need no mandate object), Then it is active and usable
    mandate = apply_mandate_event(None, activated(mandate=None)).mandate
    assert isinstance(mandate, Mandate) and mandate.usable and mandate.mandate_ref is None


# --------------------------------------------------------------------------------------------------
# The collector
# --------------------------------------------------------------------------------------------------

DUE = date(2026, 12, 1)
SCHEDULE = (0, 3, 7)


def result(status: ChargeStatus) -> ChargeResult:
    return ChargeResult(status, "pi_1")


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (ChargeStatus.SUCCEEDED, CollectorAction.SETTLED),
        (ChargeStatus.PROCESSING, CollectorAction.AWAIT_WEBHOOK),
        (ChargeStatus.AUTHENTICATION_REQUIRED, CollectorAction.ASK_CUSTOMER),
    ],
)
def test_outcomes_other_than_a_decline_never_retry(status: ChargeStatus, action: CollectorAction) -> None:
    # Given the first attempt's outcome, When decided, Then no retry is scheduled
    decision = decide_after_charge(result(status), attempt=1, due_date=DUE, retry_schedule=SCHEDULE)
    assert decision.action is action and decision.retry_on is None


def test_declines_retry_on_the_tenants_schedule_then_fall_back() -> None:
    # Given a schedule of due date, +3 and +7 days, and every attempt declined
    declined = result(ChargeStatus.DECLINED)
    # When each attempt is decided
    first = decide_after_charge(declined, attempt=1, due_date=DUE, retry_schedule=SCHEDULE)
    second = decide_after_charge(declined, attempt=2, due_date=DUE, retry_schedule=SCHEDULE)
    last = decide_after_charge(declined, attempt=3, due_date=DUE, retry_schedule=SCHEDULE)
    # Then it retries on +3 and +7 days with the next attempt number, then falls back
    assert (first.action, first.retry_on, first.next_attempt) == (CollectorAction.RETRY, date(2026, 12, 4), 2)
    assert (second.retry_on, second.next_attempt) == (date(2026, 12, 8), 3)
    assert (last.action, last.fallback) == (CollectorAction.FALL_BACK, FallbackReason.RETRIES_EXHAUSTED)


def test_a_schedule_without_retries_falls_back_at_once() -> None:
    # Given a tenant that does not retry, When the only attempt is declined, Then it falls back
    decision = decide_after_charge(result(ChargeStatus.DECLINED), attempt=1, due_date=DUE, retry_schedule=[0])
    assert decision.action is CollectorAction.FALL_BACK


@pytest.mark.parametrize("schedule", [(), (1, 3), (0, 3, 3), (0, 5, 2), (0, 1.5), (0, True)])
def test_bad_schedules_are_refused(schedule) -> None:
    # Given a malformed schedule, When validated, Then it is refused by name
    with pytest.raises(PaymentDataError) as err:
        validate_retry_schedule(schedule)
    assert err.value.field == "retry_schedule"


@pytest.mark.parametrize("attempt", [0, 4])
def test_an_attempt_outside_the_schedule_is_refused(attempt: int) -> None:
    # Given an attempt number the schedule does not have, When decided, Then it is refused
    with pytest.raises(PaymentDataError) as err:
        decide_after_charge(
            result(ChargeStatus.DECLINED), attempt=attempt, due_date=DUE, retry_schedule=SCHEDULE
        )
    assert err.value.field == "attempt"
