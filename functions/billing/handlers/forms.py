"""The page's form posts, read the same way by every page-action handler.

API Gateway hands a body over as text when it is valid UTF-8 and base64 otherwise; Powertools'
`decoded_body` decodes the base64 strictly as UTF-8, so a body of other bytes raised and answered 500.
Here a body that is not base64 or not UTF-8 reads as what it can be (undecodable bytes replaced), and
the use case then refuses the fields it does not understand with a 400 naming them.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import parse_qs

# A page form has a handful of fields; more is not a form of ours.
MAX_FIELDS = 20


def form_fields(event: Any) -> dict[str, str]:
    """The first value of each field of a urlencoded body (an APIGatewayProxyEventV2 or its dict)."""
    raw = event.get("body") if isinstance(event, dict) else event.body
    encoded = event.get("isBase64Encoded") if isinstance(event, dict) else event.is_base64_encoded
    if not raw:
        return {}
    if encoded:
        try:
            body = base64.b64decode(raw, validate=True).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            return {}
    else:
        body = str(raw)
    try:
        parsed = parse_qs(body, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError:  # more fields than any page form has
        return {}
    return {k: v[0] for k, v in parsed.items()}
