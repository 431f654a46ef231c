"""The daily price-change run on the local stack, as EventBridge Scheduler would start it
(PriceChangesFunction's ScheduleV2 Input from template.yaml, docs/price-changes.md).

    python -m infra.local_price_changes [--at 2027-03-01T08:00:00+01:00]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from typing import Any

from infra.local_lambda import invoke, scheduler_event


def run_price_changes(moment: datetime | None = None) -> dict[str, Any]:
    """One run as of `moment` (default now): notices sent, choices carried out when their day came."""
    event = scheduler_event("PriceChangesFunction", moment or datetime.now(UTC))
    return dict(invoke("PriceChangesFunction", event))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--at", type=datetime.fromisoformat, help="the run's moment (ISO, with its zone)")
    args = parser.parse_args(argv)
    if not os.environ.get("AWS_ENDPOINT_URL_DYNAMODB"):
        print(
            "error: no local stack in the environment: eval $(python -m infra.local_stack env)",
            file=sys.stderr,
        )
        return 1
    print(json.dumps(run_price_changes(args.at)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
