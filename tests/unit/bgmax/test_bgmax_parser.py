"""The BgMax parser: every record and field, the lenient line forms of FORMAT.md §5, the totals, and
an error naming the line and the field for each kind of damage."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest
from bgmax_examples import STOCKHOLM, own_file

from billing.domain.bgmax.parser import BgMaxParseError, parse_bgmax
from billing.domain.bgmax.records import format_bankgiro, to_jsonable
from billing.domain.bgmax.writer import BgMaxWriteError, bgmax_file, deposit, payment, write_bgmax


def _lines(data: bytes) -> list[str]:
    return data.decode("latin-1").split("\r\n")[:-1]


def _join(lines: list[str], end: str = "\r\n") -> bytes:
    return "".join(line + end for line in lines).encode("latin-1")


def _error(data: bytes) -> BgMaxParseError:
    with pytest.raises(BgMaxParseError) as caught:
        parse_bgmax(data)
    return caught.value


def test_every_record_and_field_is_read() -> None:
    # Given our own file with every record type
    parsed = parse_bgmax(own_file())
    # Then the start record, both deposits and every field of the payments are read
    assert parsed.written_at == datetime(2026, 11, 26, 17, 30, 35, 10331, tzinfo=STOCKHOLM)
    assert parsed.timestamp == "20261126173035010331" and parsed.test is False
    first, second = parsed.deposits
    assert (first.key, first.amount, len(first.payments)) == (
        "9912346-20261125-00007",
        10000 + 60000 - 20000 + 70000,
        4,
    )
    assert (second.key, second.amount) == ("9912346-20261126-00008", 15000)
    ocr, multi, deduction, extended = first.payments
    assert (ocr.reference, ocr.reference_code, ocr.channel, ocr.payer.bankgiro) == (
        "1234566",
        "2",
        "1",
        "3783511",
    )
    assert (ocr.payer.name, ocr.payer.organisation_number) == ("Kalles Plåt AB", "5500001234")
    assert multi.information == ("Betalning för två fakturor åäö", "rad två")
    assert [x.reference for x in multi.extra_references] == ["65896", "65862"]
    assert (deduction.deduction, deduction.signed_amount, deduction.deduction_code) == (True, -20000, "1")
    assert [(x.tk, x.signed_amount, x.reference_code) for x in extended.extra_references] == [
        ("22", 40000, "2"),
        ("23", -20000, "2"),
        ("22", 50000, "5"),
    ]
    # And the JSON names each code's meaning
    data = to_jsonable(parsed)
    json_deduction = data["deposits"][0]["payments"][2]
    assert json_deduction["deduction_code"]["meaning"].startswith("partial deduction")
    assert json_deduction["channel"]["meaning"].startswith("electronic payment through Leverant")
    assert data["deposits"][0]["payee_bankgiro"] == "991-2346"
    assert data["totals"] == {
        "payments": 4,
        "deductions": 1,
        "extra_references": 5,
        "deposits": 2,
        "amount": 135000,
    }
    assert data["warnings"] == []


def test_written_files_parse_back_to_what_was_written() -> None:
    parsed = parse_bgmax(own_file())
    assert parse_bgmax(write_bgmax(parsed)) == parsed
    assert write_bgmax(parsed) == own_file()


@pytest.mark.parametrize(
    "form",
    ["lf", "cr", "no_last_end", "trimmed", "long_blanks", "tabs", "blank_lines", "run_together"],
)
def test_lenient_line_forms_give_the_clean_result(form: str) -> None:
    # Given the clean file and a copy in one of the forms FORMAT.md §5 tolerates
    clean = own_file()
    lines = _lines(clean)
    copy = {
        "lf": lambda: _join(lines, "\n"),
        "cr": lambda: _join(lines, "\r"),
        "no_last_end": lambda: _join(lines)[:-2],
        "trimmed": lambda: _join([line.rstrip() for line in lines]),
        "long_blanks": lambda: _join([line + "     " for line in lines]),
        "tabs": lambda: _join(
            [line[:48] + "\t" + line[56:] if line[48:56] == " " * 8 else line for line in lines]
        ),
        "blank_lines": lambda: _join(["", *[x for line in lines for x in (line, "  ")], "", ""]),
        "run_together": lambda: "".join(lines).encode("latin-1"),
    }[form]()
    assert copy != clean
    # Then both give the same JSON
    assert to_jsonable(parse_bgmax(copy)) == to_jsonable(parse_bgmax(clean))


def _damaged(line_index: int, start: int, text: str) -> bytes:
    lines = _lines(own_file())
    line = lines[line_index]
    lines[line_index] = line[: start - 1] + text + line[start - 1 + len(text) :]
    return _join(lines)


@pytest.mark.parametrize(
    ("line_index", "start", "text", "field"),
    [
        (0, 3, "BGMIN", "layout name (3-22)"),
        (0, 23, "02", "layout version (23-24)"),
        (0, 25, "20261399", "write time stamp (25-44)"),
        (0, 45, "X", "test marker (45)"),
        (1, 3, "00000000x0", "payee bankgiro number (3-12)"),
        (1, 23, "EUR", "currency (23-25)"),
        (2, 38, "00000000000001000O", "payment amount (38-55)"),
        (2, 56, "A", "reference code (56)"),
        (2, 57, " ", "payment channel code (57)"),
        (2, 60, "x", "BGC serial number (58-69)"),
        (2, 75, "x", "reserved (71-80)"),
        (6, 38, "00000000000000000A", "amount (38-55)"),
        (8, 60, "z", "reserved (53-80)"),
        (4, 60, "z", "reserved (15-80)"),
        (3, 75, "z", "reserved (73-80)"),
        (10, 72, "z", "reserved (72-80)"),
        (15, 38, "20261131", "payment date (38-45)"),
        (15, 69, "EUR", "currency (69-71)"),
    ],
)
def test_damage_names_line_and_field(line_index: int, start: int, text: str, field: str) -> None:
    error = _error(_damaged(line_index, start, text))
    assert (error.line_no, error.field) == (line_index + 1, field)
    assert str(error).startswith(f"line {line_index + 1}: {field}: ")
    assert "\n" not in str(error)


def test_totals_are_checked() -> None:
    lines = _lines(own_file())
    tk15 = next(i for i, line in enumerate(lines) if line.startswith("15"))
    # A deposit amount one öre off
    bad = list(lines)
    bad[tk15] = bad[tk15][:50] + str(int(bad[tk15][50:68]) + 1).rjust(18, "0") + bad[tk15][68:]
    error = _error(_join(bad))
    assert (error.line_no, error.field) == (tk15 + 1, "deposit amount (51-68)")
    # A payment count that disagrees
    bad = list(lines)
    bad[tk15] = bad[tk15][:71] + "00000009" + bad[tk15][79:]
    assert _error(_join(bad)).field == "number of payments (72-79)"
    # A missing TK20 line (the deposit no longer adds up)
    first_payment = next(i for i, line in enumerate(lines) if line.startswith("20"))
    assert _error(_join(lines[:first_payment] + lines[first_payment + 1 :])).line_no > first_payment
    # TK70 counts
    for start, field in (
        (3, "number of payment records (3-10)"),
        (11, "number of deduction records (11-18)"),
        (19, "number of extra reference records (19-26)"),
        (27, "number of deposit records (27-34)"),
    ):
        bad = list(lines)
        count = int(bad[-1][start - 1 : start + 7]) + 1
        bad[-1] = bad[-1][: start - 1] + str(count).rjust(8, "0") + bad[-1][start + 7 :]
        assert _error(_join(bad)).field == field


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda ls: ls[1:], "starts with the start record"),
        (lambda ls: ls[:-1], "no end record"),
        (lambda ls: [*ls, ls[-1]], "nothing may follow"),
        (lambda ls: [ls[0], *ls[2:]], "outside a section"),
        (lambda ls: [*ls[:2], ls[3], *ls[3:]], "before the section's first"),
        (lambda ls: [*ls[:4], ls[3], *ls[4:]], "out of order"),
        (lambda ls: [*ls[:2], ls[0], *ls[2:]], "second start record"),
    ],
)
def test_record_order_is_checked(edit, reason: str) -> None:  # type: ignore[no-untyped-def]
    assert reason in _error(_join(edit(_lines(own_file())))).reason


def test_address_needs_both_lines() -> None:
    data = write_bgmax(
        bgmax_file(
            [deposit("991-2346", [payment(100, "18")], on=date(2026, 1, 2), serial=1)],
            written_at=datetime(2026, 1, 2, tzinfo=STOCKHOLM),
        )
    )
    lines = _lines(data)
    lines.insert(3, "27Storgatan 2".ljust(80))
    assert "TK27 must be followed by TK28" in _error(_join(lines)).reason


def test_doubtful_content_is_a_warning_and_nothing_is_dropped() -> None:
    lines = _lines(own_file())
    # an unknown record type, an undefined channel, an extra reference with another serial
    lines.insert(4, "99 something new".ljust(80))
    lines[2] = lines[2][:56] + "7" + lines[2][57:]
    parsed = parse_bgmax(_join(lines))
    fields = [(w.line_no, w.field) for w in parsed.warnings]
    assert (5, "transaction code (1-2)") in fields
    assert (3, "payment channel code (57)") in fields
    assert parsed.records_read + 1 == len(lines)


def test_empty_and_odd_inputs() -> None:
    assert _error(b"").field == "file"
    assert _error(b"\r\n  \r\n").field == "file"
    assert _error(b"01" + b"\x00" * 78).reason == "contains control characters"
    assert _error(b"x" * 80 + b"\r\n").field == "transaction code (1-2)"
    assert "after position 80" in _error(own_file().replace(b"\r\n", b"  X\r\n", 1)).reason


def test_writer_refuses_what_does_not_fit() -> None:
    with pytest.raises(BgMaxWriteError):
        write_bgmax(
            bgmax_file(
                [deposit("991-2346", [payment(10**19, "18")], on=date(2026, 1, 2), serial=1)],
                written_at=datetime(2026, 1, 2, tzinfo=STOCKHOLM),
            )
        )
    with pytest.raises(BgMaxWriteError):
        write_bgmax(
            bgmax_file(
                [deposit("991-2346", [payment(100, "x" * 26)], on=date(2026, 1, 2), serial=1)],
                written_at=datetime(2026, 1, 2, tzinfo=STOCKHOLM),
            )
        )
    d = deposit("991-2346", [payment(100, "18", deduction=True)], on=date(2026, 1, 2), serial=1)
    with pytest.raises(BgMaxWriteError):
        write_bgmax(bgmax_file([replace(d)], written_at=datetime(2026, 1, 2, tzinfo=STOCKHOLM)))


def test_format_bankgiro() -> None:
    assert format_bankgiro("0009912346") == "991-2346"
    assert format_bankgiro("0050501055") == "5050-1055"
