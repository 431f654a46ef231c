"""The merchant's OpenAPI document at /v1/openapi.json, usage ingestion's route merged in."""

from functools import cache

from aws_lambda_powertools.event_handler import Response

from billing.handlers.merchant_api.app import OPENAPI_PATH, app


@app.get(OPENAPI_PATH, include_in_schema=False)
def openapi_document() -> Response[str]:
    return Response(status_code=200, content_type="application/json", body=openapi_json())


@cache
def openapi_json() -> str:
    """This API's document with usage ingestion's route merged in: one document for the merchant."""
    from billing.handlers import ingest_usage
    from billing.handlers.openapi import merchant_document

    return merchant_document(app, ingest_usage.app)
