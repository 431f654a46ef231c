"""Bankgirot Autogiro: the file format both ways, and the rules around it (pure, stdlib only).

`records` (typed records), `writer` (files to Bankgirot), `parser` (any Autogiro file), `seal`
(HMAC change protection), `validation` (bankgiro, OCR, accounts, personnummer, orgnr),
`bankdays` (Swedish banking days and Bankgirot's deadlines), `planning` (what goes into a day's
request file), `outcomes` (what reports mean for mandates and invoices). See docs/autogiro.md.
"""
