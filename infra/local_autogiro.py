"""Autogiro on the local stack, as AWS would run it: the scheduled export and the inbox import.

`python -m infra.local_autogiro export --tenant T --date YYYY-MM-DD` invokes AutogiroExportFunction
with the Scheduler event for 09:00 Swedish time on that day and prints what it wrote.
`python -m infra.local_autogiro import --tenant T FILE` puts a Bankgirot report into
`autogiro/inbox/<tenant>/` of the local pages bucket and invokes AutogiroImportFunction with the
EventBridge "Object Created" event S3 would send (the local stack fires no events by itself).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from infra.local_lambda import (
    add_base_url_argument,
    invoke,
    local_functions_env,
    put_in_inbox,
    scheduler_event,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def export(tenant_id: str, on: date) -> Any:
    moment = datetime.combine(on, time(9), tzinfo=STOCKHOLM)
    return invoke(
        "AutogiroExportFunction", scheduler_event("AutogiroExportFunction", moment, tenant_id=tenant_id)
    )


def import_report(tenant_id: str, name: str, body: bytes, bucket: str) -> Any:
    return put_in_inbox("AutogiroImportFunction", f"autogiro/inbox/{tenant_id}/{name}", body, bucket)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.local_autogiro", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("export", help="write the request file for a day")
    ex.add_argument("--tenant", default="demo")
    ex.add_argument("--date", required=True, type=date.fromisoformat)
    im = sub.add_parser("import", help="put a report into the inbox and import it")
    im.add_argument("--tenant", default="demo")
    im.add_argument("file", type=Path)
    add_base_url_argument(parser)
    args = parser.parse_args(argv)
    env = local_functions_env(args.base_url)
    if args.command == "export":
        result = export(args.tenant, args.date)
    else:
        result = import_report(args.tenant, args.file.name, args.file.read_bytes(), env["PAGES_BUCKET"])
    print(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
