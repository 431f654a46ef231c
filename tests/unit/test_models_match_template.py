"""Every PynamoDB model must describe the table template.yaml declares: keys, indexes, projections.

If someone adds an index to a model but not to the template (or the other way round), this fails
before AWS or DynamoDB Local ever sees the mismatch.
"""

from __future__ import annotations

from typing import Any

import pytest

from billing.adapters.dynamo.models import MODELS_BY_TABLE_SETTING
from infra.template import Tag, every_function_variable, load_template, resources_of_type

TEMPLATE = load_template()
TABLES = resources_of_type(TEMPLATE, "AWS::DynamoDB::Table")
ENV = every_function_variable(TEMPLATE)


def _logical_table(setting: str) -> str:
    ref = ENV[setting.upper()]
    assert isinstance(ref, Tag) and ref.name == "Ref", f"{setting.upper()} must be !Ref to a table"
    return str(ref.value)


def _keys(key_schema: list[dict[str, str]]) -> dict[str, str]:
    return {k["KeyType"]: k["AttributeName"] for k in key_schema}


def _model_schema(model: Any) -> dict[str, Any]:
    schema = model._get_schema()
    indexes = {
        gsi["index_name"]: (
            {k["KeyType"]: k["AttributeName"] for k in gsi["key_schema"]},
            gsi["projection"]["ProjectionType"],
        )
        for gsi in schema.get("global_secondary_indexes", [])
    }
    types = {a["AttributeName"]: a["AttributeType"] for a in schema["attribute_definitions"]}
    return {"keys": _keys(schema["key_schema"]), "indexes": indexes, "types": types}


def _template_schema(props: dict[str, Any]) -> dict[str, Any]:
    indexes = {
        gsi["IndexName"]: (_keys(gsi["KeySchema"]), gsi["Projection"]["ProjectionType"])
        for gsi in props.get("GlobalSecondaryIndexes", [])
    }
    types = {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]}
    return {"keys": _keys(props["KeySchema"]), "indexes": indexes, "types": types}


@pytest.mark.parametrize("setting", sorted(MODELS_BY_TABLE_SETTING))
def test_model_matches_its_table_in_the_template(setting: str) -> None:
    # Given the model and the table the template wires to the same environment variable
    model = MODELS_BY_TABLE_SETTING[setting]
    table = TABLES[_logical_table(setting)]["Properties"]
    # When both schemas are read
    # Then keys, indexes, projections and key attribute types agree
    assert _model_schema(model) == _template_schema(table)


def test_every_table_in_the_template_has_a_model_or_a_known_owner() -> None:
    # Given the tables in the template. The idempotency table belongs to Powertools, not to us.
    modelled = {_logical_table(s) for s in MODELS_BY_TABLE_SETTING}
    # Then every other table has a model
    assert set(TABLES) - modelled == {"IdempotencyTable"}
