"""Customers as the merchant manages them (`/v1/customers`, `billing customer`): one file per verb.

`fields.py` reads and checks what a merchant sends (pydantic, every error naming its field); the verbs
(`create`, `update`, `get`, `list`) work over the `CustomerRecords` port (`ports.py`), always within
the tenant the caller's key names. A customer exists before any subscription: until one starts, it is
not in the due index and no billing run sees it.
"""
