"""The merchant's OpenAPI document (`/v1/openapi.json`), generated from the routes' pydantic models:
the merchant API's resolver and usage ingestion's merged into one document, with the answers these
routes really give (400 problem+json for invalid input, not Powertools' default 422) and the bearer
key they need."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from billing.handlers.problems import PROBLEM_JSON, Problem, problem

_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def route_answers(status: int, model: Any, description: str, *errors: int) -> dict[int, Any]:
    """The `responses` of a route: `status` with `model`, and problem+json for 400, 401 and `errors`."""
    problem_content = {PROBLEM_JSON: {"model": Problem}}
    answers: dict[int, Any] = {
        status: {"description": description, "content": {"application/json": {"model": model}}}
    }
    for code in (400, 401, *errors):
        answers[code] = {"description": problem(code, "")["title"], "content": problem_content}
    return answers


def merchant_document(*resolvers: APIGatewayHttpResolver) -> str:
    """One document of every route of `resolvers`, the first one's title and components first."""
    first, *others = resolvers
    document = json.loads(first.get_openapi_json_schema())
    for other in others:
        more = json.loads(other.get_openapi_json_schema())
        document["paths"].update(more["paths"])
        for name, schema in more.get("components", {}).get("schemas", {}).items():
            document.setdefault("components", {}).setdefault("schemas", {}).setdefault(name, schema)
    _own_validation_answers(document)
    document["components"]["securitySchemes"] = {"apiKey": {"type": "http", "scheme": "bearer"}}
    document["security"] = [{"apiKey": []}]
    return json.dumps(document)


def _own_validation_answers(document: dict[str, Any]) -> None:
    """Powertools documents its default answer to invalid input (422, its own JSON) on every validated
    route; this API answers 400 problem+json instead (merchant_api.errors._invalid), and 422 only on a POST
    whose Idempotency-Key came with another request. Say so in the document."""
    reused = {"description": problem(422, "")["title"], "content": {PROBLEM_JSON: {"schema": _PROBLEM_REF}}}
    for operations in document["paths"].values():
        for method, op in operations.items():
            if op["responses"].get("422", {}).get("description") == "Validation Error":
                if method == "post":
                    op["responses"]["422"] = reused
                else:
                    del op["responses"]["422"]
    schemas = document["components"]["schemas"]
    for unused in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        schemas.pop(unused, None)
    if "HTTPValidationError" in json.dumps(document):
        raise RuntimeError("a route still refers to Powertools' 422 answer")
