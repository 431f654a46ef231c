"""axe-core for the accessibility checks of invoice pages, fetched once from the npm registry.

Like DynamoDB Local (infra/local_stack.py) we `npm pack` the pinned package and keep only the one file
we need (`axe.min.js`) in infra/.cache: no node_modules, no other network than the npm registry.
The browser tests inject it into the page (Playwright `add_script_tag`) and run `axe.run`.

`python -m infra.axe URL [URL ...]` checks served pages (e.g. the links `make demo` prints) the same
way: the gzip size against the 25 KB budget, and axe-core at 390 and 1280 px in Debian's Chromium.
Exits 1 when a page is over budget or has a violation.
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import subprocess
import sys
import tarfile
import urllib.request
from typing import Any

from infra.local_stack import CACHE_DIR

AXE_PACKAGE = "axe-core@4.14.1"
# The rules the page promises to pass (docs/invoice-page.md, "Size, accessibility, print, escaping").
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
PAGE_BUDGET = 25 * 1024  # bytes gzipped, CSS inline (docs/invoice-page.md)
WIDTHS = (390, 1280)
CHROMIUM = "/usr/bin/chromium"
AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                      nodes: v.nodes.map(n => n.target.join(" "))}));
}"""


class AxeUnavailable(RuntimeError):
    """axe-core cannot be fetched; the message says what is missing."""


def axe_script_path() -> str:
    """The path of axe.min.js, fetched with `npm pack` the first time."""
    target = CACHE_DIR / "axe-core" / AXE_PACKAGE.split("@")[1] / "axe.min.js"
    if target.exists():
        return str(target)
    if shutil.which("npm") is None:
        raise AxeUnavailable(f"npm is needed once to fetch {AXE_PACKAGE}: apt-get install -y nodejs npm")
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    out = subprocess.run(  # noqa: S603
        ["npm", "pack", AXE_PACKAGE, "--silent", "--pack-destination", str(CACHE_DIR)],  # noqa: S607
        check=False,
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise AxeUnavailable(f"npm pack {AXE_PACKAGE} failed: {out.stderr.strip()}")
    tarball = CACHE_DIR / out.stdout.strip().splitlines()[-1]
    target.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tarball) as tf:
        member = tf.extractfile("package/axe.min.js")
        if member is None:
            raise AxeUnavailable(f"{AXE_PACKAGE} has no axe.min.js")
        partial = target.with_suffix(".part")
        partial.write_bytes(member.read())
        partial.replace(target)  # never leave half a file that a later run would trust
    tarball.unlink()
    return str(target)


def gzip_size(html: bytes) -> int:
    # Level 6: what web servers and CDNs use by default, so no better than what customers get.
    return len(gzip.compress(html, compresslevel=6))


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core in a Playwright page (open it in a context with `bypass_csp=True`: the page's
    policy rightly refuses any script but its own)."""
    page.add_script_tag(path=axe_script_path())
    violations: list[dict[str, Any]] = page.evaluate(AXE_RUN, AXE_TAGS)
    return violations


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("urls", nargs="+")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    failed = False
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        for url in args.urls:
            with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310
                size = gzip_size(response.read())
            over = size > PAGE_BUDGET
            found: dict[int, list[dict[str, Any]]] = {}
            for width in WIDTHS:
                context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
                page = context.new_page()
                page.goto(url)
                found[width] = axe_violations(page)
                context.close()
            failed = failed or over or any(found.values())
            verdict = ", ".join(f"{w} px: {len(v)} violations" for w, v in found.items())
            print(f"{url}\n  {size / 1024:.1f} KB gzipped{' OVER BUDGET' if over else ''}; axe {verdict}")
            for width, violations in found.items():
                for v in violations:
                    print(f"    {width} px {v['impact']} {v['id']}: {v['help']} {v['nodes'][:3]}")
        browser.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
