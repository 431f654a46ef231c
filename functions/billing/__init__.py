"""The billing product: the one package every Lambda runs (domain, services, adapters, handlers, cli)."""
