"""What the invoice page's routes share (customer choices, engagement, relief, payments, the page's
own API and the Autogiro form): the page's address, back to a page by 303, "Not found" for a link that
names nothing, and a form refused by its field."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response

from billing.handlers.http import BodyRefused
from billing.services.errors import PermanentError
from billing.settings import settings

TEXT = "text/plain; charset=utf-8"


def invoice_page(token: str, fragment: str = "") -> str:
    """The address of the invoice page of `token`, at the block `fragment` names when given."""
    return f"{settings().pages_base_url}/i/{token}{'#' + fragment if fragment else ''}"


def see_other(location: str) -> Response[Any]:
    """303 to `location`, never cached: the page there was re-rendered by what was just done."""
    return Response(303, "text/plain", "", headers={"Location": location, "Cache-Control": "no-store"})


def not_found() -> Response[Any]:
    # The same two words for every unknown token: an answer must not tell which tokens exist.
    return Response(404, TEXT, "Not found")


def form_refused(exc: PermanentError, status: int = 400) -> Response[Any]:
    """A form the use case refused, as `status` with its field and reason; a body refused before it was
    read (handlers/http.BodyRefused) keeps its own status."""
    return Response(
        exc.status if isinstance(exc, BodyRefused) else status, TEXT, f"{exc.field}: {exc.reason}"
    )
