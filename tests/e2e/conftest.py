"""Browser tests: Debian's Chromium driven by Playwright, against pages served by the local stack.

The `browser` and `artifacts` fixtures live in tests/conftest.py: one Playwright session serves every
test that needs a browser (two sync Playwright sessions cannot run in one process at once).
"""
