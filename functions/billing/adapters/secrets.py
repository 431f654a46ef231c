"""A tenant's Stripe credentials from Secrets Manager, through Powertools Parameters (cached).

One secret per tenant, `billing/<tenant>/stripe`, holding JSON `{"api_key": ..., "webhook_secret": ...}`.
`api_key` may be absent or empty: the local default, where the gateway talks to the local Stripe
stand-in instead (its URL comes from the local stack, never from the secret). The values are kept in
`StripeCredentials`, whose repr never shows them, and are never logged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools.utilities import parameters

from billing.services.errors import PermanentError, RetryableError

# Long enough that a warm function reads the secret a few times an hour, short enough that a rotated
# webhook secret is picked up within minutes.
CACHE_SECONDS = 300


def secret_name(tenant_id: str) -> str:
    return f"billing/{tenant_id}/stripe"


@dataclass(frozen=True)
class StripeCredentials:
    api_key: str | None = field(repr=False)
    webhook_secret: str = field(repr=False)


class SecretsManagerStripeCredentials:
    """`get(tenant_id)`: the tenant's Stripe credentials; `PermanentError` when they are not configured."""

    def __init__(self, *, max_age: int = CACHE_SECONDS) -> None:
        self.max_age = max_age

    def get(self, tenant_id: str) -> StripeCredentials:
        name = secret_name(tenant_id)
        try:
            value: Any = parameters.get_secret(name, transform="json", max_age=self.max_age)
        except parameters.exceptions.TransformParameterError:
            raise PermanentError("the Stripe secret is not JSON", field=name) from None
        except parameters.exceptions.GetParameterError as exc:
            text = str(exc)
            if "ResourceNotFound" in text:
                raise PermanentError(
                    "no Stripe secret for this tenant", field=name, code="not_configured"
                ) from None
            raise RetryableError("reading the Stripe secret failed", field=name) from None
        if not isinstance(value, dict):
            raise PermanentError("the Stripe secret must be a JSON object", field=name)
        webhook_secret = value.get("webhook_secret")
        if not isinstance(webhook_secret, str) or not webhook_secret.strip():
            raise PermanentError("the Stripe secret has no webhook_secret", field=name)
        api_key = value.get("api_key")
        if api_key is not None and not isinstance(api_key, str):
            raise PermanentError("api_key must be a string", field=name)
        return StripeCredentials(api_key=api_key or None, webhook_secret=webhook_secret)
