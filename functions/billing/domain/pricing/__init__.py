"""The pricing engine: a subscription's charges, usage, coupons and balance -> an invoice.

The invoice for billing period P (kind "period", issued on P's first day) carries:
  1. recurring fees for P, in advance, for the plan active when P (or the subscription) starts,
     prorated by days when the subscription starts inside P or its end was decided before P began;
  2. usage charges for the previous period, in arrears, per plan that was active (split at changes);
  3. a credit for the unused days of the previous period when the subscription ended inside it after
     that period had been billed in full;
  4. a minimum-commitment true-up for the previous period;
  5. coupon discounts;
then VAT per rate, SEK rounding to whole kronor, the customer's credit balance.

A plan change "now" (upgrade) is billed by its own invoice (`plan_change_invoice`): credit for the old
plan's unused days, charge for the new plan's remaining days. A downgrade takes effect when the period
ends, so it costs nothing now. Everything here is pure: dates and instants are passed in.

Modules: `engine` (entry points), `lines` (the lines of a period invoice), `charge_models` (one pricing
rule per usage model), `totals` (rounding, VAT per rate, balance), `context` (shared line types).
"""

from __future__ import annotations

from billing.domain.pricing.engine import (
    PlanChangeQuote,
    Repricing,
    compute_invoice,
    one_off_invoice,
    plan_change_invoice,
    preview_invoice,
    quote_plan_change,
    reprice,
)
from billing.domain.pricing.totals import buyer_party, format_money, seller_party, summarise_vat

__all__ = [
    "PlanChangeQuote",
    "Repricing",
    "buyer_party",
    "compute_invoice",
    "format_money",
    "one_off_invoice",
    "plan_change_invoice",
    "preview_invoice",
    "quote_plan_change",
    "reprice",
    "seller_party",
    "summarise_vat",
]
