"""Errors of the pricing engine: bad input names the field it came from."""

from __future__ import annotations

from billing.domain.errors import FieldError


class ScenarioError(FieldError):
    """Input that cannot be priced: `field` is a dotted path into the input ("catalog.plans[0].code")."""


class CreditError(FieldError):
    """A credit note that would credit more than is left on the invoice, or an unknown line."""
