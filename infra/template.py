"""Read template.yaml: the one list of AWS resources, for the local stack and the tests.

CloudFormation's short-form tags (!Ref, !GetAtt, !Sub, ...) are kept as small tagged values so the
local stack can resolve the ones it understands and the tests can compare models with tables.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_PATH = ROOT / "template.yaml"


@dataclass(frozen=True)
class Tag:
    """A CloudFormation intrinsic function written in short form, e.g. `!Ref Table`."""

    name: str
    value: Any


# libyaml's C parser when PyYAML has it (the wheels do): the pure-Python one takes about a second
# for this template, and every local request used to read it.
class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    pass


def _construct_tag(loader: _Loader, tag_suffix: str, node: yaml.Node) -> Tag:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return Tag(tag_suffix, value)


_Loader.add_multi_constructor("!", _construct_tag)


_parsed: dict[Path, tuple[int, dict[str, Any]]] = {}


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """The template as a fresh dict (callers may change theirs). Parsed once per file version: the
    local server and the tests look up a function or a route on every request."""
    return copy.deepcopy(shared_template(path))


def shared_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """The parsed template itself, shared by every caller: for lookups on a hot path (each local
    request finds its function and queues here). Read it, never change it; `load_template` for a copy."""
    mtime = path.stat().st_mtime_ns
    cached = _parsed.get(path)
    if cached is None or cached[0] != mtime:
        with path.open(encoding="utf-8") as fh:
            data: dict[str, Any] = yaml.load(fh, Loader=_Loader)  # noqa: S506 - SafeLoader subclass
        _parsed[path] = cached = (mtime, data)
    return cached[1]


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        name: res for name, res in template.get("Resources", {}).items() if res.get("Type") == resource_type
    }


def parameter_default(template: dict[str, Any], name: str) -> str:
    return str(template["Parameters"][name]["Default"])


def http_api_routes(template: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(method, path, handler) for every HttpApi event of every function."""
    routes = []
    for res in resources_of_type(template, "AWS::Serverless::Function").values():
        props = res["Properties"]
        for event in (props.get("Events") or {}).values():
            if event.get("Type") == "HttpApi":
                ep = event["Properties"]
                routes.append((ep["Method"].upper(), ep["Path"], props["Handler"]))
    return routes


def _get_att_target(value: Any) -> str | None:
    """X from `!GetAtt X.Arn`, `!GetAtt X.QueueName` or `!GetAtt [X, Arn]`."""
    if not isinstance(value, Tag) or value.name != "GetAtt":
        return None
    ref = value.value
    return str(ref[0]) if isinstance(ref, list) else str(ref).split(".")[0]


def queues_fed_by(template: dict[str, Any], handler: str) -> list[tuple[str, str]]:
    """(queue, consumer function) for every queue the function with this handler may send to (its
    SQSSendMessagePolicy) that another function consumes (an SQS event): where its messages go."""
    functions = resources_of_type(template, "AWS::Serverless::Function")
    consumers: dict[str, str] = {}
    for logical, res in functions.items():
        for event in (res["Properties"].get("Events") or {}).values():
            if event.get("Type") == "SQS":
                queue = _get_att_target(event["Properties"]["Queue"])
                if queue:
                    consumers[queue] = logical
    fed: list[tuple[str, str]] = []
    for res in functions.values():
        props = res["Properties"]
        if props["Handler"] != handler:
            continue
        for policy in props.get("Policies") or []:
            if isinstance(policy, dict) and "SQSSendMessagePolicy" in policy:
                queue = _get_att_target(policy["SQSSendMessagePolicy"]["QueueName"])
                if queue in consumers:
                    fed.append((queue, consumers[queue]))
    return fed


def function_environment(template: dict[str, Any], function: str) -> dict[str, Any]:
    """The variables Lambda gives `function`: Globals' and its own Environment's (SAM merges the two,
    the function's winning)."""
    merged = dict(template["Globals"]["Function"]["Environment"]["Variables"])
    resource = resources_of_type(template, "AWS::Serverless::Function")[function]
    merged.update(((resource["Properties"].get("Environment") or {}).get("Variables")) or {})
    return merged


def every_function_variable(template: dict[str, Any]) -> dict[str, Any]:
    """Each variable any function is given, with its value: one process on the local stack runs them all.
    A name given two values by two functions is an error (the local stack could not set both)."""
    merged: dict[str, Any] = {}
    for function in resources_of_type(template, "AWS::Serverless::Function"):
        for name, value in function_environment(template, function).items():
            if merged.setdefault(name, value) != value:
                raise ValueError(f"template.yaml gives {name} two values ({function}): name them apart")
    return merged
