"""Price changes told with the customer's own numbers (docs/price-changes.md).

A merchant schedules a new version of a plan (`schedule.py`, `POST /v1/plans/{code}/versions`,
`billing catalog schedule`). Every customer still on an older version then gets a notice
(`notify.py`): a page and an email with the change, its reason, what their last 12 invoices would
have cost at the new price (billing.domain.price_change.backtest) and three choices, which they make
through the page's token (`choose.py`). On the effective date `carry_out.py` does what each chose
through the subscription use cases. `uptake.py` counts notices and choices for the merchant.
"""
