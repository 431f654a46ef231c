"""`billing catalog`: plans as versioned documents and price changes from a shell, through the same use
cases as the merchant API (billing.services.price_changes, docs/price-changes.md). Answers are the
API's JSON documents; a refused request prints `error: FIELD: reason` on stderr and exits 2.

    billing catalog list --tenant T
    billing catalog show --tenant T CODE
    billing catalog schedule --tenant T CODE FILE   (FILE: the body of POST /v1/plans/{code}/versions;
                                                    - reads stdin)
    billing catalog uptake --tenant T CODE          (per version: notices sent, choices, carried out)
"""

from __future__ import annotations

import argparse
from typing import Any

from billing.cli.common import answer, command_group, read_json, refused, verb


def register(subparsers: Any) -> None:
    verbs = command_group(
        subparsers,
        "catalog",
        "plans, their versions and price changes (docs/price-changes.md)",
        __doc__,
        metavar="VERB",
        raw=True,
    )
    _verb(verbs, "list", "every plan with its versions", run_list)
    show = _verb(verbs, "show", "one plan with its versions and their uptake", run_show)
    show.add_argument("code", metavar="CODE")
    schedule = _verb(verbs, "schedule", "schedule a plan's next version (a price change)", run_schedule)
    schedule.add_argument("code", metavar="CODE")
    schedule.add_argument("file", metavar="FILE", help="JSON body (- for stdin)")
    uptake = _verb(verbs, "uptake", "how customers answered each price change of a plan", run_uptake)
    uptake.add_argument("code", metavar="CODE")


def _verb(verbs: Any, name: str, help_text: str, func: Any) -> argparse.ArgumentParser:
    return verb(verbs, name, help_text, func, tenant_help=None)


def run_list(args: argparse.Namespace) -> int:
    from billing.wiring.price_change import catalog_plans

    return answer(lambda: catalog_plans().list(args.tenant))


def run_show(args: argparse.Namespace) -> int:
    from billing.wiring.price_change import catalog_plans

    return answer(lambda: catalog_plans().show(args.tenant, args.code))


def run_schedule(args: argparse.Namespace) -> int:
    from billing.services.price_changes.fields import VersionSchedule
    from billing.wiring.price_change import schedule_version

    return answer(
        lambda: schedule_version()(
            args.tenant, args.code, VersionSchedule.model_validate(read_json(args.file))
        )
    )


HEADER = (
    f"{'version':<16} {'effective':<10} {'affected':>8} {'sent':>6} {'accept':>6} {'switch':>6}"
    f" {'leave':>6} {'none':>6} {'done':>6}"
)


def run_uptake(args: argparse.Namespace) -> int:
    from billing.services.errors import PermanentError
    from billing.wiring.price_change import catalog_plans

    try:
        plan = catalog_plans().show(args.tenant, args.code)
    except PermanentError as error:
        return refused(error.field, error.reason)
    print(HEADER)
    for v in plan.versions:
        if v.uptake is None:
            continue
        u = v.uptake
        print(
            f"{v.code:<16} {v.effective_from or '':<10} {u.affected:>8} {u.notices_sent:>6} {u.accepted:>6}"
            f" {u.switched:>6} {u.left:>6} {u.no_choice:>6} {u.carried_out:>6}"
        )
    return 0
