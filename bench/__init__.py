"""Benchmarks: `python -m bench` (make bench) prints the figures docs/performance.md records."""
