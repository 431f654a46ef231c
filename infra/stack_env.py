"""The operator's environment for a deployed stack: every variable any function is given, resolved
against what CloudFormation created, so the `billing` CLI reaches the same tables, queues and bucket
as the functions do.

    eval "$(python -m infra.stack_env my-billing-stack)"
    billing tenant create norrsken.yaml

Each function is given only its own variables (template.yaml, docs/architecture.md); the CLI runs every
use case, so it needs them all. A `!Ref` to a resource is its physical id (a table's or bucket's name,
a queue's URL, a bus's name), a `!Ref` to a parameter the stack's value, and a variable whose value
the template also gives an output (the pages and API addresses) that output's value. The local stack's
counterpart is `python -m infra.local_stack env`.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Mapping
from typing import Any, Protocol

from infra.template import Tag, every_function_variable, load_template


class StackEnvError(RuntimeError):
    """The stack cannot give a variable's value (not deployed from this template, or not complete)."""


class CloudFormation(Protocol):
    def describe_stacks(self, *, StackName: str) -> dict[str, Any]: ...
    def get_paginator(self, operation_name: str) -> Any: ...


def stack_variables(
    stack: str, cloudformation: CloudFormation, template: dict[str, Any] | None = None
) -> dict[str, str]:
    """Every function variable's value in the deployed `stack`, by name."""
    template = template or load_template()
    (described,) = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    parameters = {
        p["ParameterKey"]: p.get("ResolvedValue", p["ParameterValue"])
        for p in described.get("Parameters", [])
    }
    outputs_by_value = {
        _key(spec["Value"]): output
        for output, spec in (template.get("Outputs") or {}).items()
        if isinstance(spec, dict) and "Value" in spec
    }
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    physical: dict[str, str] = {}
    for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack):
        for summary in page["StackResourceSummaries"]:
            if summary.get("PhysicalResourceId"):
                physical[summary["LogicalResourceId"]] = summary["PhysicalResourceId"]

    def resolve(name: str, value: Any) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, Tag) and value.name == "Ref":
            ref = str(value.value)
            found = physical.get(ref, parameters.get(ref))
            if found is not None:
                return found
            raise StackEnvError(f"{name}: the stack {stack!r} has no resource or parameter {ref}")
        output = outputs_by_value.get(_key(value))
        if output is not None and output in outputs:
            return outputs[output]
        raise StackEnvError(f"{name}: no output of the stack {stack!r} gives its value ({value!r})")

    return {name: resolve(name, value) for name, value in every_function_variable(template).items()}


def _key(value: Any) -> str:
    return repr(value)  # a template value (a Tag, a string) compared by what it says


def exports(variables: Mapping[str, str]) -> str:
    return "".join(f"export {name}={shlex.quote(value)}\n" for name, value in sorted(variables.items()))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0].startswith("-"):
        print(
            "usage: python -m infra.stack_env STACK_NAME  (the region from your AWS configuration)",
            file=sys.stderr,
        )
        return 2
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        sys.stdout.write(exports(stack_variables(args[0], boto3.client("cloudformation"))))
    except (StackEnvError, ClientError, BotoCoreError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
