"""The invoice's PDF copy: CPU ms per PDF through ReportLab against the hand-written writer it replaced.

The billing worker renders one PDF per invoice, so the PDF is on the run's hot path (issue 12 moved it
to ReportLab for embedded fonts and selectable text). Both designs are timed on the same machine in
the same minute: this tree, and the last commit with the hand-written writer (`PREVIOUS`, or `--rev`)
unpacked with `git archive` into a temporary folder. Each runs in a fresh interpreter (the same
measuring code, below, with that tree first on the path) on the page tests' invoices
(`tests/unit/page/builders`): the rich invoice in Swedish and English (one page) and a 120-line invoice
(three pages). Figures: the first PDF of a process (imports, fonts, catalogs: what the worker's cold
start adds), then the median of `--runs` rounds of `--pdfs` PDFs each, and the file sizes. Then the
installed size of what the layer gains (ReportLab and Pillow).

    .venv/bin/python -m bench.bench_pdf [--runs 7] [--pdfs 40] [--rev COMMIT]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from bench.cold_import import fresh_interpreter

ROOT = Path(__file__).resolve().parents[1]
# main before issue 12's PDF work: the last commit with billing/domain/page/pdf.py.
PREVIOUS = "b17c681"
LAYER_GAIN = ("reportlab", "pillow", "rl-accel")  # charset-normalizer, its other need, came with requests


def measure(tree: Path, runs: int, pdfs: int) -> dict[str, float]:
    """In this process, with `tree` first on the path: ms for the first PDF, then per PDF (median)."""
    import statistics
    import time
    from dataclasses import replace

    sys.path[:0] = [str(tree / "functions"), str(tree)]
    from billing.domain.page import build_invoice_page
    from tests.unit.page.builders import context, invoice, line, rich_context

    rich, ctx = rich_context()
    long_lines = tuple(
        line(f"l{i}", f"Tjänst nummer {i}", 1_000 + i, group=f"Grupp {i // 10}") for i in range(120)
    )
    views = {
        "sv": build_invoice_page(rich, ctx),
        "en": build_invoice_page(replace(rich, language="en"), ctx),
        "long": build_invoice_page(invoice(long_lines), context()),
    }
    # The first PDF of a process: the renderer's imports (Jinja, Babel; ReportLab at its first PDF),
    # the catalogs and the fonts, as the worker's first invoice after a cold start pays them.
    started = time.process_time()
    from billing.adapters.renderer import JinjaRenderer

    renderer = JinjaRenderer()
    renderer.render_pdf(views["sv"])
    figures = {"first ms": (time.process_time() - started) * 1000}
    for name, view in views.items():
        rounds = []
        for _ in range(runs):
            began = time.process_time()
            for _ in range(pdfs):
                pdf = renderer.render_pdf(view)
            rounds.append((time.process_time() - began) / pdfs * 1000)
        figures[f"{name} ms"] = statistics.median(rounds)
        figures[f"{name} bytes"] = len(pdf)
    return figures


def _in_fresh_interpreter(tree: Path, runs: int, pdfs: int) -> dict[str, float]:
    args = ["-m", "bench.bench_pdf", "--measure", str(tree), "--runs", str(runs), "--pdfs", str(pdfs)]
    figures: dict[str, float] = fresh_interpreter(args, cwd=ROOT, what=f"measuring {tree}")
    return figures


def previous_tree(rev: str, into: Path) -> Path:
    """The commit `rev`'s functions/ and tests/ unpacked under `into`."""
    archive = subprocess.run(
        ["git", "archive", rev, "functions", "tests"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    # Compiled as this tree is, so neither first PDF pays for compiling the sources.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(into)], check=True)
    return into


def installed_bytes(distributions: tuple[str, ...] = LAYER_GAIN) -> int:
    """What `distributions` take on disk once installed (their RECORD's files, bytecode aside)."""
    total = 0
    for name in distributions:
        for file in metadata.distribution(name).files or ():
            path = Path(str(file.locate()))
            if path.is_file() and "__pycache__" not in path.parts:
                total += path.stat().st_size
    return total


def layer_distributions() -> tuple[str, ...]:
    """The Lambda layer's packages: layers/requirements.txt (generated from uv.lock by `make layer`)."""
    lines = (ROOT / "layers" / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return tuple(line.split("==")[0] for line in lines if line[:1].isalnum())


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--pdfs", type=int, default=40)
    parser.add_argument("--rev", default=PREVIOUS)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the subprocess's side
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure, args.runs, args.pdfs)))
        return {}
    with tempfile.TemporaryDirectory(prefix="bench-pdf-") as folder:
        old = _in_fresh_interpreter(previous_tree(args.rev, Path(folder)), args.runs, args.pdfs)
    new = _in_fresh_interpreter(ROOT, args.runs, args.pdfs)
    print(f"  the invoice's PDF, CPU ms per PDF (median of {args.runs} x {args.pdfs}), file size:")
    print(f"  {'':34}{'hand-written (' + args.rev + ')':>26}{'ReportLab (this tree)':>26}{'ratio':>8}")
    rows = [
        ("rich invoice, Swedish (1 page)", "sv"),
        ("rich invoice, English (1 page)", "en"),
        ("120 lines (3 pages)", "long"),
    ]
    for label, key in rows:
        before, after = old[f"{key} ms"], new[f"{key} ms"]
        print(
            f"  {label:34}{before:>14.2f} ms {old[f'{key} bytes'] / 1024:>6.1f} KiB"
            f"{after:>14.2f} ms {new[f'{key} bytes'] / 1024:>6.1f} KiB{after / before:>7.1f}x"
        )
    print(
        f"  {'first PDF of a process (imports)':34}{old['first ms']:>14.0f} ms{'':11}"
        f"{new['first ms']:>14.0f} ms{'':11}{new['first ms'] / old['first ms']:>7.1f}x"
    )
    gain, layer = installed_bytes(), installed_bytes(layer_distributions())
    print(
        f"  the layer gains {' + '.join(LAYER_GAIN)}: {gain / 2**20:.1f} MiB installed, from"
        f" {(layer - gain) / 2**20:.1f} to {layer / 2**20:.1f} MiB (this machine's wheels)"
    )
    return {"hand-written": old, "reportlab": new, "layer": {"gain bytes": gain, "bytes": layer}}


if __name__ == "__main__":
    main()
