"""The operator's environment for a deployed stack (infra/stack_env.py): every variable any function is
given, resolved from CloudFormation's answers, so the CLI reaches the functions' tables on AWS."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from infra.stack_env import StackEnvError, exports, stack_variables
from infra.template import ROOT, every_function_variable, load_template, resources_of_type

TEMPLATE = load_template()
STACK = "billing-prod"


def _physical(logical: str, kind: str) -> str:
    if kind == "AWS::SQS::Queue":
        return f"https://sqs.eu-north-1.amazonaws.com/123456789012/{STACK}-{logical}-AbC123"
    return f"{STACK}-{logical}-XyZ789"


class _CloudFormation:
    """boto3's answers for a stack deployed from template.yaml, over two pages of resources."""

    def __init__(self, *, drop: str | None = None, outputs: bool = True) -> None:
        self.resources = [
            {"LogicalResourceId": name, "PhysicalResourceId": _physical(name, res["Type"])}
            for name, res in TEMPLATE["Resources"].items()
            if name != drop
        ]
        self.outputs = outputs

    def describe_stacks(self, *, StackName: str) -> dict[str, Any]:
        assert StackName == STACK
        stack: dict[str, Any] = {
            "StackName": STACK,
            "Parameters": [
                {"ParameterKey": "SenderEmail", "ParameterValue": "faktura@norrsken.example"},
                {"ParameterKey": "TenantId", "ParameterValue": "norrsken"},
            ],
        }
        if self.outputs:
            stack["Outputs"] = [
                {"OutputKey": "PagesBaseUrl", "OutputValue": "https://d111.cloudfront.net"},
                {
                    "OutputKey": "ApiBaseUrl",
                    "OutputValue": "https://abc.execute-api.eu-north-1.amazonaws.com",
                },
            ]
        return {"Stacks": [stack]}

    def get_paginator(self, operation_name: str) -> Any:
        assert operation_name == "list_stack_resources"
        resources = self.resources

        class _Pages:
            def paginate(self, *, StackName: str) -> list[dict[str, Any]]:
                half = len(resources) // 2
                return [
                    {"StackResourceSummaries": resources[:half]},
                    {"StackResourceSummaries": resources[half:]},
                ]

        return _Pages()


def test_every_function_variable_is_resolved_from_the_stack() -> None:
    # Given a stack deployed from the template
    # When the operator's environment is read from it
    variables = stack_variables(STACK, _CloudFormation(), TEMPLATE)
    # Then it holds every variable any function is given
    assert set(variables) == set(every_function_variable(TEMPLATE))
    # And each resource is its physical id, each parameter and output the stack's value
    tables = resources_of_type(TEMPLATE, "AWS::DynamoDB::Table")
    assert variables["TENANTS_TABLE"] == f"{STACK}-TenantsTable-XyZ789" and "TenantsTable" in tables
    assert (
        variables["INVOICE_QUEUE_URL"].startswith("https://sqs.")
        and "InvoiceQueue" in variables["INVOICE_QUEUE_URL"]
    )
    assert variables["PAGES_BUCKET"] == f"{STACK}-PagesBucket-XyZ789"
    assert variables["SENDER_EMAIL"] == "faktura@norrsken.example"
    assert variables["PAGES_BASE_URL"] == "https://d111.cloudfront.net"
    assert variables["API_BASE_URL"] == "https://abc.execute-api.eu-north-1.amazonaws.com"
    assert variables["POWERTOOLS_SERVICE_NAME"] == "billing"


def test_a_stack_missing_a_resource_or_an_output_is_named() -> None:
    # Given a stack without the engagement table, and one without outputs
    with pytest.raises(StackEnvError, match=r"ENGAGEMENT_TABLE.*EngagementTable"):
        stack_variables(STACK, _CloudFormation(drop="EngagementTable"), TEMPLATE)
    with pytest.raises(StackEnvError, match="PAGES_BASE_URL: no output"):
        stack_variables(STACK, _CloudFormation(outputs=False), TEMPLATE)


def test_exports_quote_what_a_shell_would_split() -> None:
    # Given a value with a space and a quote
    text = exports({"B": "plain", "A": "it's two words"})
    # Then each is one export line a shell reads back whole, in name order
    assert text == "export A='it'\"'\"'s two words'\nexport B=plain\n"
    shown = subprocess.run(["sh", "-c", text + 'printf %s "$A"'], capture_output=True, text=True, check=True)
    assert shown.stdout == "it's two words"


def test_the_command_wants_one_stack_name() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "infra.stack_env"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 2 and "usage: python -m infra.stack_env STACK_NAME" in done.stderr
