"""Parses Autogiro files, both directions, into the typed records of `records`.

`parse_file(data)` recognises the file by its opening record (FORMAT.md §1.1) and returns one of:
request file (ours, possibly TK00/TK99-sealed), payment specification, mandate notification,
rejected payments, amendment report, internet-bank mandates, monitoring-register extract or
mandate-register extract. Only the new layout is read; an old-layout report is refused by name.

Tolerant of what real files do (FORMAT.md §1.6): lines shorter or longer than 80 positions (the
excess must be blank), title and ruler lines before the first record, blank lines, Latin-1 text,
references padded with zeros on either side, impossible dates and codes in rejections and
amendment answers. Strict where money is concerned: numeric fields must be numeric, dates in
payments must be real dates, and every control total in TK09/TK59 is reconciled with the records.
Anything else raises `AutogiroParseError(line_no, field, reason)`; no other exception escapes.
"""

from billing.domain.autogiro.parser.dispatch import parse_file
from billing.domain.autogiro.parser.lines import AutogiroParseError

__all__ = ["AutogiroParseError", "parse_file"]
