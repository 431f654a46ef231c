"""Reading internet-bank mandates (manual §8.6), TK51 onwards."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from billing.domain.autogiro.parser.lines import _check_total, _Line, _sections, read_fields
from billing.domain.autogiro.records import (
    DigitalMandate,
    DigitalMandateFile,
    DigitalMandateSection,
)
from billing.domain.autogiro.records.common import MANDATE_FIELDS


def _parse_digital_mandates(lines: list[_Line]) -> DigitalMandateFile:
    sections: list[DigitalMandateSection] = []
    for opening, body, closing in _sections(lines, "51", "59"):
        opening.expect(11, 14, "9900", "clearing number")
        opening.expect(25, 44, "AG-EMEDGIV", "content")
        write_date = opening.date(3, 10, "write date")
        payee_bankgiro = opening.bankgiro(15, 24)
        mandates: list[DigitalMandate] = []
        current: DigitalMandate | None = None
        for line in body:
            if line.tk == "52":
                if current is not None:
                    mandates.append(current)
                message_type = line.number(62, 62, "message type")
                if message_type > 2:
                    line.fail("message type (62)", f"expected 0, 1 or 2, got {message_type}")
                current = DigitalMandate(
                    **read_fields(line, MANDATE_FIELDS),
                    message_type=message_type,
                )
                continue
            if current is None:
                line.fail("transaction code", "details before the mandate record TK52")
            if line.tk == "53":
                current = _replace(current, information=line.text_field(3, 38))
            elif line.tk in ("54", "55"):
                extra = tuple(part for part in (line.text_field(3, 38), line.text_field(39, 74)) if part)
                current = _replace(current, address_lines=current.address_lines + extra)
            elif line.tk == "56":
                postcode = line.digits(3, 7, "postcode")
                current = _replace(
                    current, postcode=None if postcode == "00000" else postcode, city=line.text_field(8, 38)
                )
            else:
                line.fail("transaction code", "not an internet-bank mandate record")
        if current is not None:
            mandates.append(current)
        closing.expect(11, 14, "9900", "clearing number")
        closing.date(3, 10, "write date")
        count = closing.number(15, 21, "record count")
        _check_total(closing, "record count (15-21)", count, len(body))
        sections.append(DigitalMandateSection(write_date, payee_bankgiro, tuple(mandates), count))
    return DigitalMandateFile(sections=tuple(sections))


def _replace(mandate: DigitalMandate, **changes: Any) -> DigitalMandate:
    return replace(mandate, **changes)
