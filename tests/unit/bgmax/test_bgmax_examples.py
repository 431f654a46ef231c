"""Every BgMax example file of Bankgirot's parses with the totals FORMAT.md §7 lists; the as-published
copies (a trailing blank line; 80-byte records without line ends) give identical JSON; the writer
re-creates each normalised file byte for byte."""

from __future__ import annotations

import json
from datetime import date

import pytest
from bgmax_examples import PUBLISHED, SHARED_BGMAX, example_paths

from billing.domain.bgmax.parser import parse_bgmax
from billing.domain.bgmax.records import to_jsonable
from billing.domain.bgmax.writer import write_bgmax

# FORMAT.md §7: (payments, deductions, extra refs, deposits), the deposit amounts in öre.
IMAGE_FILE = (
    "bankgiroinbetalningar_bildfil_avtal-ocr-kontroll_utokad-blankettregistrering-ocr-kontroll_exempelfil.txt"
)
EXPECTED = {
    "bangiroinbetalningar_exempelfil_avtalutantillval_kontroller_sv.txt": ((5, 0, 0, 1), [85000]),
    "bankgiroinbetalningar_exempelfil_avtal-om-ocr-kontroll_sv.txt": ((4, 0, 3, 1), [210000]),
    IMAGE_FILE: ((6, 0, 10, 1), [353300]),
}


def test_every_example_parses_and_is_rewritten_byte_for_byte() -> None:
    paths = example_paths()
    assert paths, "the examples folder is empty"
    for path in paths:
        # Given one of Bankgirot's normalised example files
        data = path.read_bytes()
        # When it is parsed
        parsed = parse_bgmax(data)
        # Then its totals hold and the writer lays the same records out identically
        assert parsed.deposits and not parsed.test, path.name
        assert write_bgmax(parsed) == data, path.name
        totals = to_jsonable(parsed)["totals"]
        if path.name in EXPECTED:
            counts, amounts = EXPECTED[path.name]
            assert (
                totals["payments"],
                totals["deductions"],
                totals["extra_references"],
                totals["deposits"],
            ) == counts
            assert [d.amount for d in parsed.deposits] == amounts


def test_as_published_copies_give_identical_json() -> None:
    paths = {p.name: p for p in example_paths()}
    if not PUBLISHED.is_dir():
        pytest.skip(f"no as-published copies in {PUBLISHED}")
    published = sorted(PUBLISHED.glob("*.txt"))
    assert published
    for copy in published:
        # Given the byte-exact published copy and its normalised twin
        assert copy.name in paths, copy.name
        # Then both read to the same JSON
        clean = json.dumps(to_jsonable(parse_bgmax(paths[copy.name].read_bytes())), sort_keys=True)
        assert json.dumps(to_jsonable(parse_bgmax(copy.read_bytes())), sort_keys=True) == clean, copy.name


def test_checksiffra_example_in_detail() -> None:
    example_paths()
    name = "bankgiroinbetalningar_exempelfil_avtal-om-ocr-kontroll_sv.txt"
    path = SHARED_BGMAX / "examples" / name
    if not path.is_file():
        pytest.skip(f"{name} is missing")
    parsed = parse_bgmax(path.read_bytes())
    (deposit,) = parsed.deposits
    assert (deposit.payee_bankgiro, deposit.payee_plusgiro, deposit.serial) == ("9912346", "8156086", "00054")
    assert deposit.payment_date == date(2004, 5, 25)
    assert (deposit.account.clearing, deposit.account.number) == ("5841", "1009823")
    first, second, third, fourth = deposit.payments
    assert (first.reference, first.amount, first.reference_code, first.payer.bankgiro) == (
        "573949",
        90000,
        "2",
        None,
    )
    assert (second.reference, second.reference_code, second.channel, second.image_marker) == (
        "",
        "1",
        "3",
        "1",
    )
    assert third.reference == "65896,65862,65763"
    assert [(x.reference, x.amount, x.reference_code) for x in third.extra_references] == [
        ("65896", 0, "2"),
        ("65862", 0, "2"),
        ("65763", 0, "2"),
    ]
    assert fourth.message == "Faktura65581 Kundnr1233"
    assert fourth.payer.bankgiro is None and fourth.payer.bankgiro_raw == "009701233 "
    assert fourth.payer.name == "Olles färg AB" and fourth.payer.town == "Storåker"
    assert [w.line_no for w in parsed.warnings] == [17]  # the left-shifted payer bankgiro


def test_autogiro_bgmax_example_reads_too() -> None:
    # Given Bankgirot's Autogiro example in BgMax form (a tab after the test marker, blank lines)
    path = SHARED_BGMAX.parent / "autogiro" / "examples" / "autogiro_exempelfil_bg-max-forma_sv.txt"
    if not path.is_file():
        pytest.skip(f"the Autogiro BgMax example is not beside the project ({path})")
    parsed = parse_bgmax(path.read_bytes())
    # Then its four Autogiro payments (channel 4, no serial) and the 700,00 deposit are read
    assert [p.amount for p in parsed.payments] == [10000, 20000, 30000, 10000]
    assert {p.channel for p in parsed.payments} == {"4"}
    assert {p.bgc_serial for p in parsed.payments} == {None}
    assert parsed.deposits[0].amount == 70000
