"""The only code that imports boto3, PynamoDB, Stripe, Jinja2 and ReportLab: stores, gateways, renderers."""
