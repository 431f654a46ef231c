"""Pure billing logic, standard library only: money, periods, pricing, invoices, VAT, OCR, pages, files."""
