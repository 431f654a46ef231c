"""The previous design measured beside this one, in the same bench run (`python -m bench --design old`).

Issue 13 reshaped the worker, ingestion, pricing and imports for cost. Its gains are ratios only when
both designs run on the same machine in the same minutes, so this module unpacks the commit before
that work (`PREVIOUS`, or `--design-rev`) into a temporary folder with `git archive` and runs that
tree's own bench code there, in a subprocess with a private local stack built from that tree's
template. The figures come back as JSON: ingestion CPU per event and requests per event, a run's
DynamoDB requests per invoice by operation and its capacity units, and every handler's cold-import
ratio.

The driver below uses only what `bench.local_billing` and `bench.cold_import` offered at `PREVIOUS`;
a revision without them cannot be measured this way. Requests are counted by this design's
`bench/aws_calls.py`, loaded into that process, so both designs are counted by the same code.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# main at the end of stop 23, before issue 13's worker, ingestion, pricing and import work.
PREVIOUS = "a7adcd6"

DRIVER = r"""
import importlib.util, json, sys
from datetime import date

batches, customers, run_date, import_runs = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
# This design's request counter (it adds write units by AWS's rule) counts the previous design too, so
# both are counted the same way; it reads only botocore's events, nothing of the billing code.
spec = importlib.util.spec_from_file_location("bench.aws_calls", sys.argv[5])
aws_calls = importlib.util.module_from_spec(spec)
sys.modules["bench.aws_calls"] = aws_calls
spec.loader.exec_module(aws_calls)
from bench import cold_import, local_billing

aws_calls.install()
from infra.local_stack import LocalStack

stack = LocalStack.private()
try:
    stack.apply_env()
    local_billing.quiet_lambda_env()
    ingestion = local_billing.measure_ingestion(batches)
    local_billing.measure_run(5, date.fromisoformat(run_date))
    run = local_billing.measure_run(customers, date.fromisoformat(run_date))
finally:
    stack.stop()
imports = cold_import.table(import_runs) if import_runs else []
ops = {op: n for (svc, op), n in run.calls.calls.items() if svc == "dynamodb"}
print("RESULT " + json.dumps({
    "ingestion_events": ingestion.items,
    # That tree's code does not take the counter's own work (sizing items) out of the CPU: done here.
    "ingestion_cpu_seconds": ingestion.cpu_seconds - ingestion.calls.counting_cpu,
    "ingestion_dynamodb_requests": ingestion.calls.count("dynamodb"),
    "ingestion_write_units": ingestion.calls.write_units,
    "invoices": run.items,
    "run_seconds": run.seconds,
    "run_cpu_seconds": run.cpu_seconds - run.calls.counting_cpu,
    "dynamodb_ops": ops,
    "write_units": run.calls.write_units,
    "aws_write_units": run.calls.aws_write_units,
    "read_units": run.calls.read_units,
    "imports": imports,
}))
"""


def measure(
    *, batches: int, customers: int, run_date: str, import_runs: int, rev: str = PREVIOUS
) -> dict[str, Any]:
    """Run the previous design's own bench in its own tree; its figures as a dict."""
    tree = Path(tempfile.mkdtemp(prefix="bench-previous-"))
    try:
        archive = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
        # DynamoDB Local's jar, fetched once from npm, is shared rather than fetched again.
        (tree / "infra" / ".cache").symlink_to(ROOT / "infra" / ".cache", target_is_directory=True)
        env = {**os.environ, "PYTHONPATH": f"{tree}{os.pathsep}{tree / 'functions'}"}
        args = [
            str(batches),
            str(customers),
            run_date,
            str(import_runs),
            str(ROOT / "bench" / "aws_calls.py"),
        ]
        done = subprocess.run(
            [sys.executable, "-c", DRIVER, *args], cwd=tree, env=env, capture_output=True, text=True
        )
        if done.returncode != 0:
            raise RuntimeError(f"the previous design's bench failed:\n{done.stderr[-3000:]}")
        line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
        return dict(json.loads(line.removeprefix("RESULT ")))
    finally:
        shutil.rmtree(tree, ignore_errors=True)


if __name__ == "__main__":
    print(json.dumps(measure(batches=5, customers=20, run_date="2026-11-01", import_runs=1), indent=1))
