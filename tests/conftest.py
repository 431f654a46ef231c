"""Shared test setup: the repository root on sys.path (for infra/ and bench/)."""
