"""DynamoDB through PynamoDB: the table models and the stores that implement the services' ports."""
