"""Use cases, a folder per noun and a file per verb, over ports (typing.Protocol) and one error hierarchy."""
