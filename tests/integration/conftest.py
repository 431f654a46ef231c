"""Integration tests use the session's local stack: the `local_env` fixture in tests/conftest.py."""
