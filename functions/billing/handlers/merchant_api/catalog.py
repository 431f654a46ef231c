"""Routes of the catalog: plans as versioned documents and their scheduled price changes
(docs/price-changes.md, billing.services.price_changes).
"""

from typing import Any

from aws_lambda_powertools.event_handler import Response

from billing.handlers.merchant_api.app import (
    IdempotencyKey,
    NounRoutes,
    PlanCode,
    body_operation,
    current_tenant,
    once,
    problem_answer,
    view_answer,
)
from billing.services.price_changes.fields import PlanList, PlanView, VersionSchedule, VersionView
from billing.services.price_changes.schedule import VersionConflict

routes = NounRoutes("catalog")
router = routes.router


def _catalog_plans() -> Any:
    from billing.wiring.price_change import catalog_plans

    return catalog_plans()


def _schedule_version() -> Any:
    from billing.wiring.price_change import schedule_version

    return schedule_version()


@routes.get("/v1/plans", "The catalog: every plan with its versions", (200, PlanList, "The plans"))
def list_plans() -> Response[str]:
    return view_answer(_catalog_plans().list(current_tenant()))


@routes.get(
    "/v1/plans/<code>",
    "A plan with its versions and each price change's uptake",
    (200, PlanView, "The plan", 404),
)
def get_plan(code: PlanCode) -> Response[str]:
    return view_answer(_catalog_plans().show(current_tenant(), code))


body_operation("plan.version", VersionSchedule, _schedule_version, 201, owner="code")


@routes.post(
    "/v1/plans/<code>/versions",
    "Schedule a price change: the plan's next version from an effective date, with notice",
    (201, VersionView, "The scheduled version", 404, 409, 422),
)
def schedule_plan_version(
    code: PlanCode, body: VersionSchedule, idempotency_key: IdempotencyKey
) -> Response[str]:
    return once("plan.version", idempotency_key, body, {"code": code})


@router.exception_handler(VersionConflict)
def _catalog_moved(error: VersionConflict) -> Response[str]:
    return problem_answer(409, error.reason, field=error.field)
