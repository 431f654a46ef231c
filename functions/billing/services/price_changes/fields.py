"""What a merchant sends to schedule a price change, and what the catalog routes answer (pydantic)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

PlanCode = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]


class VersionSchedule(BaseModel):
    """`POST /v1/plans/{code}/versions`: the plan's charges from `effective_date` on."""

    model_config = ConfigDict(extra="forbid")

    effective_date: date = Field(description="the first day of the new price (customers' calendar)")
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500, strip_whitespace=True)] = Field(
        description="why the price changes, as the customers' notice says it"
    )
    notice_months: int | None = Field(
        None,
        ge=0,
        le=24,
        description="months of notice; default and minimum: the tenant's (never below its sector's legal"
        " minimum)",
    )
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = Field(
        None, description="default: the plan's current name"
    )
    charges: list[dict[str, Any]] = Field(
        min_length=1, max_length=50, description="the new version's charges (docs/pricing.md shapes)"
    )
    minimum_commitment: int | None = Field(None, ge=0)


class Uptake(BaseModel):
    """How the affected customers answered a change's notice."""

    affected: int
    notices_sent: int
    accepted: int = Field(description="chose to stay on the plan at its new price")
    switched: int
    left: int
    no_choice: int = Field(description="not chosen: the new price applies from the effective date")
    carried_out: int


class VersionView(BaseModel):
    object: Literal["plan_version"] = "plan_version"
    code: str = Field(description="the version's code subscriptions name (`bas`, `bas@v2`)")
    version: int
    effective_from: str | None = Field(description="null for the first version")
    reason: str | None
    notice_months: int | None
    state: str | None = Field(description="noticing, noticed, done; null for the first version")
    plan: dict[str, Any] = Field(description="the version's plan document (docs/pricing.md)")
    uptake: Uptake | None = None


class PlanView(BaseModel):
    object: Literal["plan"] = "plan"
    code: str
    name: str
    interval: str
    currency: str
    current_version: str = Field(description="the version on sale today")
    versions: list[VersionView]


class PlanList(BaseModel):
    object: Literal["list"] = "list"
    data: list[PlanView]
