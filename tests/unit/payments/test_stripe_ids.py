"""Which strings of a stored record are Stripe ids (billing.adapters.dynamo.stripe_refs.stripe_ids), and
which functions may put and read them (template.yaml): the ids are put by the three functions that
learn new ones, read by the one that looks them up, and by no other."""

from __future__ import annotations

from billing.adapters.dynamo.stripe_refs import stripe_ids
from infra.local_iam import grants
from infra.template import load_template, resources_of_type


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


def _grants(function: str) -> set[str]:
    """The actions `function`'s policies allow on StripeRefsTable, read as the local stack reads them."""
    return {a for g in grants(function) if "StripeRefsTable" in g.resources for a in g.actions}


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
