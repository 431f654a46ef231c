"""Reports without a Bankgirot example file here, and the control totals of every report.

The amendment report, the monitoring-register extract and the mandate-register extract are built
from the manual's layouts (§8.5, §8.7, §8.8); each TK09/TK59 total that disagrees with the records
is refused with the line and the field.
"""

from __future__ import annotations

from datetime import date

import pytest
from autogiro_builders import file_text, record, report_opening
from autogiro_examples import read_example

from billing.domain.autogiro.parser import AutogiroParseError, parse_file
from billing.domain.autogiro.records import (
    AmendmentReportFile,
    BankAccount,
    Direction,
    MandateNotificationFile,
    MandateRegisterFile,
    MonitoringRegisterFile,
    same_reference,
)

BG = "0058056201"


def _amendment(
    tk: str,
    payment_date: str,
    payer: str,
    direction: str,
    amount: int,
    comment: str,
    reference: str | None = None,
    new_date: str = "00000000",
    count: str | None = None,
) -> str:
    marker = "REFERENS" if reference is not None else (count or "00000000")
    return record(
        (1, tk),
        (3, payment_date),
        (11, payer.rjust(16, "0") if payer else ""),
        (27, direction),
        (29, str(amount).rjust(12, "0")),
        (41, marker),
        (49, new_date),
        (57, (reference or "").ljust(16, "0")),
        (73, comment),
    )


def _signed_closing(out_sum: str, out_count: int, in_count: int, in_sum: str) -> str:
    return record(
        (1, "0920260115"),
        (11, "9900"),
        (29, out_sum),
        (41, str(out_count).rjust(6, "0")),
        (47, str(in_count).rjust(6, "0")),
        (53, "0000"),
        (57, in_sum),
        (69, "0" * 12),
    )


AMENDMENT_RECORDS = [
    _amendment("23", "20260120", "1001", "82", 25000, "12", reference="FAKT1001"),  # done, incoming
    _amendment("29", "20260120", "1002", "82", 12000, "14", reference="FAKT1002", new_date="20260127"),
    _amendment("25", "20260120", "1003", "32", 3000, "12", reference="RETUR"),  # done, outgoing
    _amendment("24", "20260231", "1004", "82", 5000, "01"),  # impossible date, not done
    _amendment("26", "00000000", "", "00", 0, "14", new_date="20260130", count="00000007"),
]


def test_amendment_report_with_negative_signed_totals() -> None:
    # Given an amendment report whose TK09 sums are negative signed fields (-370,00 and -30,00 kr)
    text = file_text(
        report_opening("MAKULERING/ÄNDRING"),
        *AMENDMENT_RECORDS,
        _signed_closing("00000000300å", 1, 2, "00000003700å"),
    )

    # When it is parsed
    parsed = parse_file(text.encode("latin-1"))

    # Then every record is typed, the impossible date kept as text, and the totals reconcile
    assert isinstance(parsed, AmendmentReportFile)
    results = parsed.results()
    assert [r.transaction_code for r in results] == ["23", "29", "25", "24", "26"]
    assert [r.succeeded for r in results] == [True, True, True, False, True]
    assert results[0].reference == "FAKT100100000000"
    assert same_reference(results[0].reference, "FAKT1001")
    assert results[1].new_date == date(2026, 1, 27)
    assert results[3].payment_date is None and results[3].payment_date_text == "20260231"
    assert results[4].payer_number is None and results[4].payment_count == 7 and results[4].direction is None
    totals = parsed.sections[0].totals
    assert (totals.outgoing_sum_ore, totals.incoming_sum_ore) == (-3000, -37000)


def test_amendment_report_with_unsigned_totals() -> None:
    # Given the same report with plain (unsigned) sums, as some real reports write them
    text = file_text(
        report_opening("MAKULERING/ÄNDRING"),
        *AMENDMENT_RECORDS,
        _signed_closing("000000003000", 1, 2, "000000037000"),
    )
    # When it is parsed; Then the totals reconcile as well
    parsed = parse_file(text)
    assert isinstance(parsed, AmendmentReportFile)
    assert parsed.sections[0].totals.incoming_sum_ore == 37000


@pytest.mark.parametrize(
    ("closing", "field"),
    [
        (_signed_closing("00000000300å", 1, 3, "00000003700å"), "incoming count"),
        (_signed_closing("00000000300å", 1, 2, "00000003701J"), "incoming sum"),
        (_signed_closing("00000000301J", 1, 2, "00000003700å"), "outgoing sum"),
    ],
)
def test_amendment_report_total_mismatch_is_refused(closing: str, field: str) -> None:
    # Given an amendment report whose TK09 disagrees with its records
    text = file_text(report_opening("MAKULERING/ÄNDRING"), *AMENDMENT_RECORDS, closing)
    # When it is parsed; Then the error names the TK09 line and the total
    with pytest.raises(AutogiroParseError) as caught:
        parse_file(text)
    assert caught.value.line_no == 7
    assert field in caught.value.field and "TK09" in caught.value.field


def _future(tk: str, when: str, period: str, reps: str, payer: str, amount: int, reference: str) -> str:
    return record(
        (1, tk + when + period + reps),
        (16, payer.rjust(16, "0")),
        (32, str(amount).rjust(12, "0")),
        (54, reference),
    )


MONITORING = [
    record((1, "0120260115AUTOGIRO9900BEVAKNINGSREG"), (63, "123456"), (69, BG)),
    _future("82", "20260130", "0", "   ", "1001", 34900, "1234567890"),
    _future("82", "20260130", "1", "006", "1002", 19900, "MANAD"),
    _future("32", "20260202", "0", "   ", "1003", 5000, "RETUR"),
]


def test_monitoring_register_extract() -> None:
    # Given a monitoring-register extract with two future debits and one pay-out
    text = file_text(*MONITORING, _signed_closing("000000005000", 1, 2, "000000054800"))

    # When it is parsed
    parsed = parse_file(text)

    # Then the future payments are typed and the totals reconcile
    assert isinstance(parsed, MonitoringRegisterFile)
    payments = parsed.payments()
    assert [(p.direction, p.amount_ore) for p in payments] == [
        (Direction.INCOMING, 34900),
        (Direction.INCOMING, 19900),
        (Direction.OUTGOING, 5000),
    ]
    assert (payments[1].period_code, payments[1].repetitions) == (1, 6)
    assert parsed.sections[0].payee_bankgiro == "58056201"


def test_monitoring_register_sum_mismatch_is_refused() -> None:
    # Given an extract whose incoming sum is one öre off
    text = file_text(*MONITORING, _signed_closing("000000005000", 1, 2, "000000054801"))
    # When it is parsed; Then the TK09 incoming sum is named
    with pytest.raises(AutogiroParseError, match="incoming sum"):
        parse_file(text)


def test_mandate_register_extract() -> None:
    # Given a mandate-register extract: an account mandate under inquiry and a bankgiro mandate
    text = file_text(
        record((1, BG), (11, "198203232775"), (23, "1234".rjust(16, "0")), (39, "125"), (42, "20250301"),
               (50, "20260110"), (58, "2"), (65, "5000" + "1111116".rjust(12, "0"))),
        record((1, BG), (11, "005560360793"), (23, "9912346".rjust(16, "0")), (39, "226"), (42, "20260105"),
               (50, "00000000"), (58, "1")),
    )  # fmt: skip

    # When it is parsed
    parsed = parse_file(text)

    # Then each entry is typed, with no account for the bankgiro payer and no change date when zero
    assert isinstance(parsed, MandateRegisterFile)
    first, second = parsed.entries
    assert (first.payer_number, first.identity, first.mandate_type, first.status) == (
        "1234",
        "198203232775",
        1,
        2,
    )
    assert first.account == BankAccount("5000", "1111116")
    assert (first.created_on, first.changed_on, first.last_activity_year) == (
        date(2025, 3, 1),
        date(2026, 1, 10),
        25,
    )
    assert (second.account, second.changed_on, second.mandate_type) == (None, None, 2)


def test_mandate_register_bad_status_names_the_record() -> None:
    # Given a register record with status 7
    text = file_text(
        record(
            (1, BG),
            (11, "198203232775"),
            (23, "1234".rjust(16, "0")),
            (39, "125"),
            (42, "20250301"),
            (58, "7"),
        )
    )
    # When it is parsed; Then the error names the register record's status field
    with pytest.raises(AutogiroParseError) as caught:
        parse_file(text)
    assert caught.value.field == "register record status (58)"


@pytest.mark.parametrize(
    ("name", "old", "new", "field"),
    [
        (
            "autogiro_exempelfiler_medgivandeavisering_sv.txt",
            "092008061199000000010",
            "092008061199000000011",
            "record count",
        ),
        (
            "autogiro_exempelfil_nya_medgivanden_via_internetbank_sv.txt",
            "592008061199000000020",
            "592008061199000000019",
            "record count",
        ),
        (
            "autogiro_exempelfilavvisade_betalningsuppdrag_sv.txt",
            "0000000500000012820000000300",
            "0000000500000012820100000300",
            "outgoing sum",
        ),
        (
            "autogiro_exempelfil_bet-spec-o-tk_sv.txt",
            "000001000000000005000001",
            "000001000000000004000001",
            "executed incoming",
        ),
        ("autogiro_exempelfil_bg-max-forma_sv.txt", "00000070000SEK", "00000070001SEK", "amount (51-68)"),
        ("autogiro_exempelfil_bg-max-forma_sv.txt", "7000000004", "7000000005", "payment count (3-10)"),
        (
            "autogiro_exempelfil_bet-spec-o-tk_sv.txt",
            "000000000001500000   00000005",
            "000000000001500100   00000005",
            "total amount",
        ),
    ],
)
def test_example_with_a_changed_control_total_is_refused(name: str, old: str, new: str, field: str) -> None:
    # Given a Bankgirot example with one control total changed
    text = read_example(name).decode("latin-1")
    assert old in text
    changed = text.replace(old, new, 1)
    # When it is parsed; Then the mismatch is reported with its field
    with pytest.raises(AutogiroParseError) as caught:
        parse_file(changed)
    assert field in caught.value.field
    assert "control total says" in caught.value.reason


def test_old_layout_report_is_refused_by_name() -> None:
    # Given an old-layout opening record
    text = file_text(record((1, "0120260115AUTOGIRO9900FELLISTA REG.KONTRL"), (63, "123456"), (69, BG)))
    # When it is parsed; Then the error asks for the new layout
    with pytest.raises(AutogiroParseError, match="new layout"):
        parse_file(text)


def test_short_lines_title_lines_and_trailing_blank_lines_are_tolerated() -> None:
    # Given a notification with a title, a ruler, trimmed lines and blank lines at the end
    text = (
        "Exempelfil - Medgivandeavisering\r\n[---+----1----+\r\n\r\n"
        + report_opening("AG-MEDAVI").rstrip()
        + "\r\n"
        + record((1, "73" + BG), (13, "1234".rjust(16, "0")), (62, "0432"), (66, "20260115")).rstrip()
        + "\r\n092026011599000000001\r\n\r\n   \r\n"
    )
    # When it is parsed; Then the one notice is read
    parsed = parse_file(text)
    assert isinstance(parsed, MandateNotificationFile)
    assert [(n.payer_number, n.information_code, n.comment_code) for n in parsed.notices()] == [
        ("1234", "04", "32")
    ]


def test_data_after_position_80_is_refused() -> None:
    # Given a record with text beyond position 80
    text = report_opening("AG-MEDAVI") + "EXTRA\r\n"
    # When it is parsed; Then the line is refused
    with pytest.raises(AutogiroParseError) as caught:
        parse_file(text)
    assert (caught.value.line_no, caught.value.field) == (1, "line")


def _register(*payers: str) -> str:
    return file_text(
        *(
            record(
                (1, BG),
                (11, "198203232775"),
                (23, payer.rjust(16, "0")),
                (39, "125"),
                (42, "20250301"),
                (58, "1"),
            )
            for payer in payers
        )
    )


def test_a_damaged_first_record_is_an_error_naming_its_line_never_a_skipped_title() -> None:
    # Given a mandate-register extract whose first record has O for 0 in its first position
    text = _register("1234", "5678")
    damaged = "O" + text[1:]
    # When it is parsed; Then it fails on line 1, naming the field, instead of losing a mandate
    with pytest.raises(AutogiroParseError) as caught:
        parse_file(damaged)
    assert caught.value.line_no == 1 and caught.value.field == "transaction code (1-2)"


def test_title_and_ruler_lines_before_the_records_are_still_skipped() -> None:
    text = "Exempelfil mandatregister\r\n[---+----1----+----2----+----3\r\n" + _register("1234")
    assert len(parse_file(text).entries) == 1


@pytest.mark.parametrize("ending", ["\r", "\n", "\r\n"], ids=["CR", "LF", "CRLF"])
def test_cr_only_line_ends_read_like_crlf(ending: str) -> None:
    text = _register("1234", "5678").replace("\r\n", "\n").replace("\n", ending)
    assert [e.payer_number for e in parse_file(text.encode("latin-1")).entries] == ["1234", "5678"]
