"""SES's word on an email after it left us: a bounce or a complaint, read from SES's notification JSON
(the identity notification's `notificationType`, or the configuration set event's `eventType`), as SNS
delivers it. Pure: no I/O; the one reader of that shape.

Only what decides something is kept: which message (SES's `mail.messageId`), bounce or complaint, the
reason in SES's words (`bounceType/bounceSubType`, `complaintFeedbackType`) and when. Recipient
addresses are personal data and stay out. Delivery and other notifications are not feedback (None).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from billing.domain.errors import FieldError

BOUNCE = "bounce"
COMPLAINT = "complaint"
_MESSAGE_ID = re.compile(r"[A-Za-z0-9._@-]{1,200}")
_WORD = re.compile(r"[A-Za-z0-9_-]{1,40}")


class FeedbackError(FieldError):
    """A notification that is not SES's shape; `field` names the part at fault."""


@dataclass(frozen=True)
class EmailFeedback:
    kind: str  # bounce | complaint
    message_id: str
    reason: str  # "Permanent/General", "Transient/MailboxFull", "complaint/abuse", ...
    at: datetime


def _word(value: Any, default: str) -> str:
    return value if isinstance(value, str) and _WORD.fullmatch(value) else default


def _at(value: Any, field: str) -> datetime:
    if not isinstance(value, str):
        raise FeedbackError(field, "must be an ISO 8601 timestamp")
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise FeedbackError(field, "must be an ISO 8601 timestamp") from None
    if at.tzinfo is None:
        raise FeedbackError(field, "must carry a UTC offset")
    return at


def parse_feedback(message: str | dict[str, Any]) -> EmailFeedback | None:
    """SES's notification (the SNS record's `Message`, a JSON string) as feedback; None for a delivery
    or any other notification; FeedbackError naming the field for what is not SES's shape."""
    if isinstance(message, str):
        try:
            message = json.loads(message)
        except ValueError:
            raise FeedbackError("Message", "must be SES's notification JSON") from None
    if not isinstance(message, dict):
        raise FeedbackError("Message", "must be a JSON object")
    kind = message.get("notificationType", message.get("eventType"))
    if kind not in ("Bounce", "Complaint"):
        return None
    mail = message.get("mail")
    if not isinstance(mail, dict):
        raise FeedbackError("mail", "must be an object")
    message_id = mail.get("messageId")
    if not isinstance(message_id, str) or not _MESSAGE_ID.fullmatch(message_id):
        raise FeedbackError("mail.messageId", "must be SES's message id")
    if kind == "Bounce":
        bounce = message.get("bounce")
        if not isinstance(bounce, dict):
            raise FeedbackError("bounce", "must be an object")
        kind_word = _word(bounce.get("bounceType"), "Undetermined")
        reason = f"{kind_word}/{_word(bounce.get('bounceSubType'), 'General')}"
        return EmailFeedback(BOUNCE, message_id, reason, _at(bounce.get("timestamp"), "bounce.timestamp"))
    complaint = message.get("complaint")
    if not isinstance(complaint, dict):
        raise FeedbackError("complaint", "must be an object")
    reason = f"complaint/{_word(complaint.get('complaintFeedbackType'), 'unspecified')}"
    return EmailFeedback(
        COMPLAINT, message_id, reason, _at(complaint.get("timestamp"), "complaint.timestamp")
    )
