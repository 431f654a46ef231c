"""Errors of the pricing engine: bad input names the field it came from."""

from __future__ import annotations


class ScenarioError(ValueError):
    """Input that cannot be priced: `field` is a dotted path into the input ("catalog.plans[0].code")."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class CreditError(ValueError):
    """A credit note that would credit more than is left on the invoice, or an unknown line."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
