"""What a merchant sends about a subscription, and what the API answers (pydantic)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

PlanCode = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class SubscriptionStart(BaseModel):
    """`POST /v1/customers/{id}/subscription`: the plan, from which day, how periods are anchored."""

    model_config = ConfigDict(extra="forbid")

    plan: PlanCode
    start_date: date | None = Field(
        None, description="the first day (the customer's calendar); default today"
    )
    billing_from: date | None = Field(
        None,
        description="the first period to invoice (default: the start); a customer moving from another"
        " system keeps its old start date (tenure) and is billed from here",
    )
    anchor: Literal["calendar", "anniversary"] = "calendar"
    anchor_date: date | None = Field(None, description="anniversary only: the day periods start from")
    coupons: list[dict[str, Any]] = Field(
        default_factory=list, max_length=10, description="docs/pricing.md shapes"
    )


class PlanChange(BaseModel):
    """`POST .../subscription/change`: to which plan. An upgrade takes effect today, a downgrade at
    the end of the current period."""

    model_config = ConfigDict(extra="forbid")

    plan: PlanCode


class Cancellation(BaseModel):
    """`POST .../subscription/cancel`: now (today is the first day without service; the unused days
    already paid are credited on the next invoice) or at the end of the current period."""

    model_config = ConfigDict(extra="forbid")

    at: Literal["now", "period_end"] = "period_end"


class PhaseView(BaseModel):
    plan: str
    start: str


class PauseView(BaseModel):
    start: str = Field(description="the first paused day (a period start): no recurring fee from here")
    end: str = Field(description="the day it resumes by itself (a period start): fees from here again")
    decided_on: str


class SubscriptionView(BaseModel):
    object: Literal["subscription"] = "subscription"
    id: str
    customer_id: str
    plan: str | None = Field(description="the plan today; null before the start or after the end")
    anchor: str
    phases: list[PhaseView]
    end_date: str | None
    cancelled_on: str | None
    next_invoice_date: str | None
    paused: bool = Field(False, description="a pause holds the recurring fees today")
    pauses: list[PauseView] = Field(
        default_factory=list, description="paused periods, past, running and to come (docs/engagement.md)"
    )


class InvoiceView(BaseModel):
    """An invoice document (billing.domain.invoice, docs/pricing.md) and where its page is."""

    object: Literal["invoice"] = "invoice"
    id: str
    number: str | None = Field(description="null in a preview: numbers are given when issued")
    kind: str
    status: str | None
    currency: str
    total: int = Field(description="minor units, incl. VAT")
    amount_due: int
    page_token: str | None
    document: dict[str, Any]


class ChangeResult(BaseModel):
    """What a start, plan change or cancellation did (or, previewed, would do)."""

    object: Literal["subscription_change"] = "subscription_change"
    preview: bool
    effective_date: str
    immediate: bool
    due_now: int = Field(description="minor units, incl. VAT, invoiced now")
    invoice: InvoiceView | None = Field(description="the invoice issued now (or that would be)")
    next_invoice: InvoiceView | None = Field(
        None, description="cancel: the next invoice's fees and credits as they stand (usage comes on top)"
    )
    subscription: SubscriptionView
