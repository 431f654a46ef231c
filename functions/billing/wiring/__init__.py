"""The composition root: which adapter serves which port, for every Lambda handler and the CLI.

`core` binds the tables and builds the billing run, pages, payments and the shared stores; the other
modules do the same per area (merchant API, customer pages, engagement, bank files, customer data,
the outbox, price changes). Handlers and the CLI import these builders; nothing here is imported by
services, adapters or the domain (the import contracts in pyproject.toml).
"""
