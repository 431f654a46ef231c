"""Delivery that notices failure (issue 18): which invoice each email was, SES's bounces and complaints
marking it undelivered, the merchant told (`billing report deliveries`, the engagement report, and the
`EmailUndelivered` event hook), and reminders not counting an email that never arrived."""
