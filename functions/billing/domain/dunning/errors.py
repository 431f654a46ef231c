"""Named errors of the dunning rules: each carries the field at fault and the reason in words."""

from __future__ import annotations

from billing.domain.errors import FieldError


class DunningError(FieldError):
    """Bad input to a dunning rule; `field` names what was wrong, `reason` says why."""


class ReminderPolicyError(DunningError):
    """A tenant's reminder policy is not acceptable (the tenant must fix it before it is stored)."""


class DunningStateError(DunningError):
    """An invoice's dunning state is inconsistent (a bug upstream: never guess around it)."""


class ReferenceRateError(DunningError):
    """The reference-rate data file is malformed."""


class ReferenceRateMissing(DunningError):
    """No reference rate is on file for a day we need one for: the data file must be updated."""


class CollectionExportError(DunningError):
    """An operator selected an invoice that must not be handed to a collection partner."""
