"""Routes of the catalog: plans as versioned documents and their scheduled price changes
(docs/price-changes.md, billing.services.price_changes).
"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from billing.handlers.api_operations import operation
from billing.handlers.merchant_api.app import (
    IdempotencyKey,
    current_tenant,
    json_answer,
    once,
    problem_answer,
)
from billing.handlers.openapi import route_answers
from billing.services.price_changes.fields import PlanList, PlanView, VersionSchedule, VersionView
from billing.services.price_changes.schedule import VersionConflict

router = Router()

PlanCodePath = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]


@router.get(
    "/v1/plans",
    summary="The catalog: every plan with its versions",
    responses=route_answers(200, PlanList, "The plans"),
    tags=["catalog"],
)
def list_plans() -> Response[str]:
    from billing.wiring.price_change import catalog_plans

    return json_answer(200, catalog_plans().list(current_tenant()).model_dump(mode="json"))


@router.get(
    "/v1/plans/<code>",
    summary="A plan with its versions and each price change's uptake",
    responses=route_answers(200, PlanView, "The plan", 404),
    tags=["catalog"],
)
def get_plan(code: PlanCodePath) -> Response[str]:
    from billing.wiring.price_change import catalog_plans

    return json_answer(200, catalog_plans().show(current_tenant(), code).model_dump(mode="json"))


@operation("plan.version")
def _schedule_version(tenant_id: str, request: dict[str, Any]) -> tuple[int, Any]:
    from billing.wiring.price_change import schedule_version

    body = VersionSchedule.model_validate(request["body"])
    return 201, schedule_version()(tenant_id, request["path"]["code"], body).model_dump(mode="json")


@router.post(
    "/v1/plans/<code>/versions",
    summary="Schedule a price change: the plan's next version from an effective date, with notice",
    responses=route_answers(201, VersionView, "The scheduled version", 404, 409, 422),
    tags=["catalog"],
)
def schedule_plan_version(
    code: PlanCodePath, body: VersionSchedule, idempotency_key: IdempotencyKey
) -> Response[str]:
    return once("plan.version", idempotency_key, body, {"code": code})


@router.exception_handler(VersionConflict)
def _catalog_moved(error: VersionConflict) -> Response[str]:
    return problem_answer(409, error.reason, field=error.field)
