"""The domain's one shape of refusal: a named error that carries the field at fault and the reason in
words. Every module's own error (PageError, ScenarioError, DunningError, ...) is one of these, so the
services map any of them to a 4xx naming the field the same way; a bank file's refused line is a
`LineError`, which names the line too."""

from __future__ import annotations


class FieldError(ValueError):
    """Input a rule refuses: `field` names what was wrong, `reason` says why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class LineError(FieldError):
    """A line of a file (Bankgirot's) refused: `line_no` is 1-based in the file as received."""

    def __init__(self, line_no: int, field: str, reason: str) -> None:
        super().__init__(field, reason)
        self.args = (f"line {line_no}: {field}: {reason}",)
        self.line_no = line_no
