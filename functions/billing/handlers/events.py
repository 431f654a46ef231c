"""The events the scheduled and file-triggered Lambdas receive, read by pydantic at the handler's
boundary: a schedule's Input (template.yaml's EventBridge Scheduler targets) and S3's "Object Created"
(through EventBridge, or a classic S3 notification), the latter with Powertools' own event-source
models. An event that is not what the template sends is refused as a `BadEvent` naming its field,
never a KeyError half-way through a run."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import unquote_plus
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict, StringConstraints, ValidationError

from billing.services.errors import PermanentError, document_refusal

STOCKHOLM = ZoneInfo("Europe/Stockholm")

# As template.yaml's TenantId parameter allows.
TenantId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,39}$")]


class BadEvent(PermanentError):
    """The Lambda's event is not what its trigger sends; `field` names the part at fault."""


def read_event(model: type[BaseModel], event: Any) -> Any:
    """`event` as `model`, or `BadEvent` naming the first field at fault (`tenant_id`, `detail.object`)."""
    try:
        return model.model_validate(event)
    except ValidationError as exc:
        field, reason = document_refusal(exc.errors())
        raise BadEvent(reason, field=field or "event", code="bad_event") from None
    except (TypeError, AttributeError, KeyError) as exc:
        # Powertools' S3 model reads `eventName` and `s3` in a validator of its own before checking
        # that they are there: a record without them breaks it instead of failing validation.
        raise BadEvent(f"not the event this function's trigger sends ({exc})", field="event") from None


class ScheduleInput(BaseModel):
    """A tenant's schedule firing: `{"tenant_id", "scheduled_time", "execution_id"}` as the template's
    schedules send it. An operator running a job by hand may leave out `scheduled_time` and name the day
    instead under the job's own key (`run_date`, `today`, `collect_date`); a billing run may name
    `customer_ids` to run for those customers only."""

    # The operator's day keys differ per job, so keys beyond these are kept for `day` to read.
    model_config = ConfigDict(extra="allow", frozen=True)

    tenant_id: TenantId
    scheduled_time: AwareDatetime | None = None
    execution_id: str | None = None
    customer_ids: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] = []

    def day(self, override: str) -> date:
        """The operator's ISO date under `override` when given, else the Stockholm date of
        `scheduled_time`: the schedules fire at Swedish hours, so the UTC date can be a day off."""
        given = (self.model_extra or {}).get(override)
        if given:
            try:
                return date.fromisoformat(str(given))
            except ValueError:
                raise BadEvent(f"not an ISO date (YYYY-MM-DD): {given!r}", field=override) from None
        return self.moment().astimezone(STOCKHOLM).date()

    def moment(self) -> datetime:
        if self.scheduled_time is None:
            raise BadEvent("the schedule's time (or the day to run for) is missing", field="scheduled_time")
        return self.scheduled_time


class RunInput(BaseModel):
    """The daily schedule's Input: its `scheduled_time`, or the operator's `now` (an instant with its
    offset), which wins."""

    scheduled_time: AwareDatetime | None = None
    now: AwareDatetime | None = None

    def moment(self) -> datetime:
        moment = self.now or self.scheduled_time
        if moment is None:
            raise BadEvent("the schedule's time (or the run's `now`) is missing", field="scheduled_time")
        return moment


def inbox_keys(event: Any) -> list[str]:
    """The object keys an S3 "Object Created" event names, as stored: EventBridge hands the key as it
    is; a classic notification URL-encodes it (a space arrives as "+")."""
    from aws_lambda_powertools.utilities.parser.models import S3EventNotificationEventBridgeModel, S3Model

    if isinstance(event, dict) and "detail" in event:
        return [read_event(S3EventNotificationEventBridgeModel, event).detail.object.key]
    return [unquote_plus(record.s3.object.key) for record in read_event(S3Model, event).Records]
