"""The page's one inline script runs only because the CSP in template.yaml names its hash."""

from __future__ import annotations

from billing.adapters.renderer import PAGE_SCRIPT_CSP_HASH
from infra.local_server import page_csp_template


def test_the_template_csp_allows_exactly_the_page_script() -> None:
    # Given the CSP CloudFront sends with every page
    csp = page_csp_template()
    directives = {d.split()[0]: d.split()[1:] for d in csp.split("; ")}
    # Then the script hash in it is the hash of templates/page.js, and nothing else may run
    assert directives["script-src"] == [f"'{PAGE_SCRIPT_CSP_HASH}'"]
    assert directives["default-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
