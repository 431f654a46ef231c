"""Each function is given the variables it uses and no others (issue 12: settings per function).

template.yaml names a table, queue, bucket or event bus to a function through a variable in that
function's Environment. A function must be given the variable of each such resource its policies grant
it (else its first request is a ConfigError naming the variable), and may be given no variable of a
resource it is not granted (a name it could only be refused on). The settings a function reads that
name no resource (its links, its sender) are held to its Environment while its handler runs on the
local stack (infra/local_env.py); its requests to resources, to its policies (infra/local_iam.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from billing.adapters.dynamo.models import MODELS_BY_TABLE_SETTING
from billing.settings import Settings
from infra import local_env
from infra.local_iam import grants
from infra.template import (
    Tag,
    every_function_variable,
    function_environment,
    load_template,
    resources_of_type,
)

TEMPLATE = load_template()
FUNCTIONS = sorted(resources_of_type(TEMPLATE, "AWS::Serverless::Function"))
NAMED_TYPES = ("AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::S3::Bucket", "AWS::Events::EventBus")
NAMED = {name for kind in NAMED_TYPES for name in resources_of_type(TEMPLATE, kind)}


def _resource(value: Any) -> str | None:
    """The table, queue, bucket or bus a variable names (`!Ref X`), if it names one."""
    if isinstance(value, Tag) and value.name == "Ref" and value.value in NAMED:
        return str(value.value)
    return None


def _granted(function: str) -> set[str]:
    """The tables, queues, bucket and buses `function`'s policies allow any action on."""
    found = set()
    for grant in grants(function):
        for resource in grant.resources:
            logical = resource.partition("/")[0]
            if logical in NAMED:
                found.add(logical)
    return found


def _named(function: str) -> dict[str, str]:
    """Resource -> the variable that names it, in `function`'s environment."""
    env = function_environment(TEMPLATE, function)
    return {r: name for name, value in env.items() if (r := _resource(value)) is not None}


@pytest.mark.parametrize("function", FUNCTIONS)
def test_a_function_is_given_the_name_of_each_resource_it_is_granted(function: str) -> None:
    # Given what the function's policies grant and what its environment names
    granted, named = _granted(function), _named(function)
    # Then each granted resource is named to it, and nothing else is
    assert sorted(granted - set(named)) == [], f"{function}: granted but not named in its Environment"
    assert sorted(set(named) - granted) == [], f"{function}: named in its Environment but not granted"


@pytest.mark.parametrize("function", FUNCTIONS)
def test_a_function_is_given_the_sender_where_it_may_send_email(function: str) -> None:
    # Given whether the function may send email through SES
    sends = any(any(a.startswith("ses:Send") for a in grant.actions) for grant in grants(function))
    # Then it is given the sender address exactly then
    assert ("SENDER_EMAIL" in function_environment(TEMPLATE, function)) == sends


def test_globals_name_no_resource() -> None:
    # Given the variables every function gets
    shared = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
    # Then none of them names a table, queue, bucket or bus, nor the sender: those are each function's own
    assert [name for name, value in shared.items() if _resource(value) or name == "SENDER_EMAIL"] == []


def test_every_setting_is_a_variable_some_function_is_given() -> None:
    # Given the settings the code may read and the variables the template gives
    given = every_function_variable(TEMPLATE)
    # Then each setting is given to at least one function, and each table's model is bound by one
    assert sorted(set(Settings.variables()) - set(given)) == []
    assert sorted(s.upper() for s in MODELS_BY_TABLE_SETTING if s.upper() not in given) == []


def test_a_setting_outside_the_function_s_environment_is_refused_and_named() -> None:
    # Given the webhook deliverer, which sends no email
    function = "DeliverWebhooksFunction"
    assert "SENDER_EMAIL" not in local_env.given(function)
    # Then reading the sender there is refused, naming the variable and the template
    reason = local_env.refusal(function, "SENDER_EMAIL")
    assert reason is not None and "SENDER_EMAIL" in reason and "template.yaml" in reason
    # And a variable it is given is not
    assert local_env.refusal(function, "WEBHOOKS_TABLE") is None


def test_two_values_for_one_name_are_refused_by_name() -> None:
    # Given a template in which two functions give one variable two values
    template = load_template()
    functions = resources_of_type(template, "AWS::Serverless::Function")
    for name, value in (("StripeWebhookFunction", "one"), ("EmailFeedbackFunction", "two")):
        functions[name]["Properties"].setdefault("Environment", {"Variables": {}})["Variables"]["X_NAME"] = (
            value
        )
    # Then the local stack's one environment cannot be made, and says which name
    with pytest.raises(ValueError, match="X_NAME"):
        every_function_variable(template)
