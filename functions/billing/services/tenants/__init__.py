"""A tenant's onboarding without DynamoDB by hand (`billing tenant create|update FILE.yaml`).

`document.py` checks the whole file (legal details, invoice series, bankgiro, catalog, page settings,
reminder policy) with the same parsers the functions use when they read it, so what is stored can
always be read; every error names its field as the file spells it (`settings.bankgiro`,
`catalog.plans[1].charges[0].amount`, `page.reminders.steps[0].tone`). `onboard.py` stores it.
"""
