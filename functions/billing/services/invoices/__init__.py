"""A customer's invoices as the merchant reads them (`/v1/customers/{id}/invoices`, `/v1/invoices/{id}`):
list (`list.py`), one (`get.py`), and the invoice so far for the current period (`upcoming.py`, the
engine's preview with usage up to now). Reads only, always within the caller's tenant."""
