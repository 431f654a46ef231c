"""Spend alerts the customer sets on the invoice page (issue 18): watched as usage arrives
(`watch.WatchSpend`, called by usage ingestion), emailed once per period (`send.SendSpendAlert`, from
the SpendAlertQueue), set, changed or removed from the page's link (`choose.ChooseSpendAlert`)."""
