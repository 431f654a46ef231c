"""Which strings of a stored record are Stripe ids (billing.adapters.dynamo.stripe_refs.stripe_ids), and
which functions may put and read them (template.yaml): the ids are put by the three functions that
learn new ones, read by the one that looks them up, and by no other."""

from __future__ import annotations

from typing import Any

from billing.adapters.dynamo.stripe_refs import stripe_ids
from infra.template import Tag, load_template, resources_of_type


def test_ids_are_found_as_keys_and_values_at_any_depth() -> None:
    record = {
        "checkout": [{"session": "cs_test_a1B2c3D4e5", "payment_intent": "pi_3MtwBwLkdIwHu7ix28a3tqPa"}],
        "payments": {"pi_3MtwBwLkdIwHu7ix28a3tqPa": {"status": "succeeded"}},
        "charges": {"ch_3MtwBwLkdIwHu7ix28a3tqPa": "pi_3MtwBwLkdIwHu7ix28a3tqPa"},
        "refunds_by_charge": {"py_1Abcdefgh": 500},
        "mandate": ("pm_1Q0PsIJvEtkwdCNY", "mandate_1Q0PsIJvEtkwdCNYabc"),
    }
    assert stripe_ids(record) == {
        "cs_test_a1B2c3D4e5",
        "pi_3MtwBwLkdIwHu7ix28a3tqPa",
        "ch_3MtwBwLkdIwHu7ix28a3tqPa",
        "py_1Abcdefgh",
        "pm_1Q0PsIJvEtkwdCNY",
        "mandate_1Q0PsIJvEtkwdCNYabc",
    }


def test_words_codes_numbers_and_other_prefixes_are_not_ids() -> None:
    record = {
        "status": "await_webhook",
        "failure_code": "card_declined",
        "amount": 12500,
        "as_of": "2026-12-05T10:00:00+00:00",
        "note": "paid with pi_3MtwBwLkdIwHu7ix28a3tqPa",  # inside a sentence: not the whole value
        "refund": "re_3MtwBwLkdIwHu7ix",  # refunds are named by their charge, never looked up
        "short": "pi_1",
        "autogiro": "ag-2026-12-05",
        "none": None,
    }
    assert stripe_ids(record) == set()


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _grants(function: str) -> set[str]:
    """The actions `function`'s policies allow on StripeRefsTable."""
    actions: set[str] = set()
    resource = resources_of_type(load_template(), "AWS::Serverless::Function")[function]
    for policy in resource["Properties"].get("Policies") or []:
        for statement in _listed(policy.get("Statement", [])) if isinstance(policy, dict) else []:
            targets = [t.value if isinstance(t, Tag) else t for t in _listed(statement["Resource"])]
            if any(str(_listed(t)[0]).startswith("StripeRefsTable") for t in targets):
                actions.update(_listed(statement["Action"]))
    return actions


def test_the_functions_that_learn_stripe_ids_may_put_them_and_only_the_webhook_reads_them() -> None:
    # The Checkout Session (the page's Pay), the collector's PaymentIntent, and what webhooks bring
    assert _grants("PaymentsApiFunction") == {"dynamodb:PutItem"}
    assert _grants("CollectPaymentsFunction") == {"dynamodb:PutItem"}
    assert _grants("ProcessStripeEventsFunction") == {"dynamodb:GetItem", "dynamodb:PutItem"}
    others = set(resources_of_type(load_template(), "AWS::Serverless::Function")) - {
        "PaymentsApiFunction",
        "CollectPaymentsFunction",
        "ProcessStripeEventsFunction",
    }
    assert {name for name in others if _grants(name)} == set()
