"""Cold import of each Lambda handler against a bare `import boto3`, each in a fresh interpreter.

What a cold start pays before the first event: the handler module's imports (the template's
`Handler:`), in a process where nothing is imported yet, with tracing off as on the local stack. The
unit test tests/unit/test_cold_imports.py checks the same import graph (which modules get loaded),
without timing anything; `make bench` prints the times and ratios.

    .venv/bin/python -m bench.cold_import [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS = ROOT / "functions"

# Imported by a handler at cold start only if the invocation uses it; never with tracing off.
HEAVY = ("aws_xray_sdk", "s3transfer", "boto3", "botocore", "jinja2", "babel", "stripe", "pynamodb")

_PROBE = """
import importlib, json, sys, time
started = time.perf_counter()
for name in sys.argv[1:]:
    importlib.import_module(name)
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "modules": sorted(sys.modules)}))
"""


@dataclass(frozen=True)
class Imported:
    module: str
    seconds: float
    modules: frozenset[str]  # top-level packages
    all_modules: frozenset[str] = frozenset()  # every module, by its full name

    def loaded(self, package: str) -> bool:
        """Whether `package` (a top-level name, or a full dotted module name) was imported."""
        return package in (self.all_modules if "." in package else self.modules)


def handler_modules() -> list[str]:
    """Every function's handler module, from template.yaml."""
    from infra.template import load_template

    resources = load_template()["Resources"]
    handlers = {
        str(r["Properties"]["Handler"]).rsplit(".", 1)[0]
        for r in resources.values()
        if r.get("Type") == "AWS::Serverless::Function" and "Handler" in r.get("Properties", {})
    }
    return sorted(handlers)


def lambda_environment() -> dict[str, str]:
    """What the template gives a function, with placeholder values: importing reads no table."""
    from billing.settings import Settings

    env = {k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_", "LAMBDA_", "AWS_"))}
    env |= {name: f"x-{name.lower()}" for name in Settings.variables()}
    env |= {
        "PYTHONPATH": str(FUNCTIONS),
        "PYTHONDONTWRITEBYTECODE": "1",
        "AWS_DEFAULT_REGION": "eu-north-1",
        "POWERTOOLS_SERVICE_NAME": "billing",
        "POWERTOOLS_METRICS_NAMESPACE": "Billing",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    return env


def fresh_interpreter(args: list[str], *, cwd: Path, env: dict[str, str] | None = None, what: str) -> Any:
    """Run `python *args` in a new interpreter; the JSON its last line of output holds."""
    done = subprocess.run(
        [sys.executable, *args], env=env, cwd=cwd, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed: {done.stderr.strip().splitlines()[-3:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def cold_import(module: str, env: dict[str, str] | None = None, *also: str) -> Imported:
    """Import `module` (then `also`) in a new interpreter; how long it took and what got loaded."""
    args = ["-c", _PROBE, module, *also]
    env = env or lambda_environment()
    found = fresh_interpreter(args, cwd=FUNCTIONS, env=env, what=f"importing {module}")
    names = frozenset(found["modules"])
    return Imported(module, found["seconds"], frozenset(m.split(".")[0] for m in names), names)


def table(runs: int) -> list[tuple[str, str, str, str, str]]:
    """Per handler: median cold import, ratio to bare boto3, goal, heavy packages loaded."""
    env = lambda_environment()
    bare = statistics.median(cold_import("boto3", env).seconds for _ in range(runs))
    rows = [("import boto3 (bare)", f"{bare * 1000:.0f}", "1.00", "", "")]
    for module in handler_modules():
        samples = [cold_import(module, env) for _ in range(runs)]
        median = statistics.median(s.seconds for s in samples)
        heavy = ", ".join(p for p in HEAVY if samples[0].loaded(p)) or "-"
        ratio = median / bare
        rows.append(
            (
                module.removeprefix("billing.handlers."),
                f"{median * 1000:.0f}",
                f"{ratio:.2f}",
                "met" if ratio <= 2 else "NOT met",
                heavy,
            )
        )
    return rows


def print_table(rows: list[tuple[str, str, str, str, str]]) -> None:
    header = ("handler (tracing off)", "ms (median)", "x boto3", "goal <= 2x", "heavy packages loaded")
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    for row in (header, *rows):
        cells = (
            v.ljust(w) if i in (0, 4) else v.rjust(w)
            for i, (v, w) in enumerate(zip(row, widths, strict=True))
        )
        print("  " + "  ".join(cells))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5, help="imports per handler (the median is shown)")
    print_table(table(parser.parse_args(argv).runs))


if __name__ == "__main__":
    main()
