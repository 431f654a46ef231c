"""The merchant's OpenAPI document: generated from the routes' pydantic models, valid OpenAPI, and
naming every merchant route template.yaml gives the HTTP API."""

from __future__ import annotations

import json

import pytest
from openapi_spec_validator import validate

from infra.template import http_api_routes, load_template

# Routes on the same HTTP API that are not the merchant's: the invoice page's forms and links call the
# page-token routes, and Stripe the webhook. The merchant's document leaves them out on purpose.
NOT_MERCHANT_ROUTES = ("/v1/pages/", "/v1/webhooks/")


@pytest.fixture(scope="module")
def document() -> dict:
    from billing.handlers.merchant_api import openapi_json

    return json.loads(openapi_json())


def test_the_document_is_valid_openapi(document):
    validate(document)  # raises on any violation of the OpenAPI 3.1 schema
    assert document["openapi"].startswith("3.1")


def test_every_merchant_route_in_the_template_is_in_the_document_and_no_other(document):
    template_routes = {
        (method.lower(), path)
        for method, path, _ in http_api_routes(load_template())
        if path.startswith("/v1/") and not path.startswith(NOT_MERCHANT_ROUTES) and path != "/v1/openapi.json"
    }
    documented = {(m, p) for p, ops in document["paths"].items() for m in ops}
    assert template_routes == documented


def test_errors_are_problem_json_and_posts_need_an_idempotency_key(document):
    for path, operations in document["paths"].items():
        for method, op in operations.items():
            if path == "/v1/usage":
                continue  # usage ingestion keeps its own answers (docs/usage.md)
            errors = {code: r for code, r in op["responses"].items() if code.startswith(("4", "5"))}
            assert errors and all("application/problem+json" in r["content"] for r in errors.values()), (
                method,
                path,
            )
            headers = {p["name"] for p in op.get("parameters", []) if p["in"] == "header"}
            assert ("idempotency-key" in headers) == (method == "post"), (method, path)


def test_the_customer_schema_comes_from_the_model(document):
    schema = document["components"]["schemas"]["CustomerCreate"]
    assert {"name", "email", "address", "personal_number", "org_number", "vat_number"} <= set(
        schema["properties"]
    )
    assert schema.get("additionalProperties") is False
