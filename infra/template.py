"""Read template.yaml: the one list of AWS resources, for the local stack and the tests.

CloudFormation's short-form tags (!Ref, !GetAtt, !Sub, ...) are kept as small tagged values so the
local stack can resolve the ones it understands and the tests can compare models with tables.
"""

from __future__ import annotations

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


class _Loader(yaml.SafeLoader):
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


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.load(fh, Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    return data


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
