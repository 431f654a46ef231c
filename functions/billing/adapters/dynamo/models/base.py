"""What every table model shares: the name a model has until `bind` points it at its table."""

UNBOUND = "unbound"  # bind() sets the real name; using a model before that fails loudly
