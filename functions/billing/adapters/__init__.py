"""The only code that imports boto3, PynamoDB, Stripe and Jinja2: stores, gateways, the renderer."""
