"""axe-core for the browser tests' accessibility checks, fetched once from the npm registry.

Like DynamoDB Local (infra/local_stack.py) we `npm pack` the pinned package and keep only the one file
we need (`axe.min.js`) in infra/.cache: no node_modules, no other network than the npm registry.
The browser tests inject it into the page (Playwright `add_script_tag`) and run `axe.run`.
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile

from infra.local_stack import CACHE_DIR

AXE_PACKAGE = "axe-core@4.14.1"
# The rules the page promises to pass (docs/invoice-page.md, "Size, accessibility, print, escaping").
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


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
