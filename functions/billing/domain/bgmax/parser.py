"""Reads a BgMax file (Bankgiro Inbetalningar) into the records of `records.py`.

`parse_bgmax(data)` checks what ../shared/bgmax/FORMAT.md §5 asks: the start record, the order of
records, numeric fields, SEK, every deposit total (TK15) and every file count (TK70). It refuses
damage with `BgMaxParseError(line_no, field, reason)`, the line counted in the file as received and
the field with its positions; no other exception escapes. Doubtful content that FORMAT.md says to
read on (an unknown record type, a payer bankgiro that is not numeric, an undefined code, an extra
reference that does not repeat its payment's serial) becomes a `BgMaxWarning`, so every line of the
file ends up in a record or a warning: nothing is dropped silently.

Lenient about the form of lines, as Bankgirot's own example copies require (§5): Latin-1 bytes, CRLF,
LF or CR line ends, a missing last line end, 80-byte records run together without any line end, tabs
(expanded to stops every 8 columns), lines shorter than 80 (padded) or longer (if only blanks follow),
and blank lines. A clean file and any such copy of it give the same records.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import NoReturn
from zoneinfo import ZoneInfo

from billing.domain.bgmax.records import (
    CHANNEL_CODES,
    DEDUCTION,
    DEDUCTION_CODES,
    EXTRA_CREDIT,
    EXTRA_REFERENCE,
    IMAGE_CODES,
    PAYMENT,
    REFERENCE_CODES,
    BankAccount,
    BgMaxFile,
    BgMaxWarning,
    Deposit,
    ExtraReference,
    Payer,
    Payment,
)
from billing.domain.errors import LineError

STOCKHOLM = ZoneInfo("Europe/Stockholm")
RECORD_LENGTH = 80
KNOWN = {"01", "05", "15", "20", "21", "22", "23", "25", "26", "27", "28", "29", "70"}


class BgMaxParseError(LineError):
    """The file cannot be booked: `line_no` (1-based, as received), `field` (with positions), `reason`."""


@dataclass(frozen=True)
class _Line:
    no: int
    text: str  # exactly 80 characters

    @property
    def tk(self) -> str:
        return self.text[:2]

    def raw(self, start: int, end: int) -> str:
        """Positions start..end, 1-based and inclusive, as FORMAT.md writes them."""
        return self.text[start - 1 : end]

    def fail(self, field: str, reason: str) -> NoReturn:
        raise BgMaxParseError(self.no, field, reason)

    def text_field(self, start: int, end: int) -> str:
        return self.raw(start, end).strip()

    def optional(self, start: int, end: int) -> str | None:
        return self.text_field(start, end) or None

    def number(self, start: int, end: int, name: str) -> int:
        value = self.raw(start, end)
        if not (value.isascii() and value.isdigit()):
            self.fail(f"{name} ({start}-{end})", f"expected {end - start + 1} digits, got {value!r}")
        return int(value)

    def digits(self, start: int, end: int, name: str) -> str:
        self.number(start, end, name)
        return self.raw(start, end)

    def code(self, position: int, name: str) -> str:
        value = self.raw(position, position)
        if not (value.isascii() and value.isdigit()):
            self.fail(f"{name} ({position})", f"expected a digit, got {value!r}")
        return value

    def optional_digits(self, start: int, end: int, name: str) -> str | None:
        """Blank (as in Autogiro BgMax) or all digits."""
        value = self.raw(start, end)
        if not value.strip():
            return None
        return self.digits(start, end, name)


def _split(data: bytes | str) -> list[tuple[int, str]]:
    text = data.decode("latin-1") if isinstance(data, bytes | bytearray) else data
    if "\r" not in text and "\n" not in text and text and len(text) % RECORD_LENGTH == 0:
        # One published copy has its 80-byte records run together without line ends.
        return [(i + 1, text[i * 80 : i * 80 + 80]) for i in range(len(text) // 80)]
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return list(enumerate(lines, start=1))


def _lines(data: bytes | str) -> list[_Line]:
    lines: list[_Line] = []
    for number, original in _split(data):
        line = original.expandtabs(8)
        if not line.strip():
            continue
        if len(line) > RECORD_LENGTH:
            if line[RECORD_LENGTH:].strip():
                raise BgMaxParseError(
                    number, "line", f"{len(line)} characters with data after position {RECORD_LENGTH}"
                )
            line = line[:RECORD_LENGTH]
        if any(ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0 for char in line):
            raise BgMaxParseError(number, "line", "contains control characters")
        if not (line[:2].isascii() and line[:2].isdigit()):
            raise BgMaxParseError(number, "transaction code (1-2)", f"expected two digits, got {line[:2]!r}")
        lines.append(_Line(number, line.ljust(RECORD_LENGTH)))
    return lines


class _Reader:
    def __init__(self) -> None:
        self.warnings: list[BgMaxWarning] = []

    def warn(self, line: _Line, field: str, message: str) -> None:
        self.warnings.append(BgMaxWarning(line.no, field, message))

    def code_meaning(self, line: _Line, value: str | None, codes: dict[str, str], name: str) -> None:
        if value is not None and value not in codes:
            self.warn(line, name, f"undefined code {value!r}: kept as it is")

    # --- TK01 ------------------------------------------------------------------------------------

    def start(self, line: _Line) -> tuple[datetime, str, bool, int]:
        if line.tk != "01":
            line.fail("transaction code (1-2)", "a BgMax file starts with the start record TK01")
        if line.text_field(3, 22) != "BGMAX":
            line.fail("layout name (3-22)", f"expected 'BGMAX', got {line.text_field(3, 22)!r}")
        version = line.number(23, 24, "layout version")
        if version != 1:
            line.fail("layout version (23-24)", f"only version 01 is known, got {version:02d}")
        stamp = line.digits(25, 44, "write time stamp")
        try:
            written = datetime.strptime(stamp[:14], "%Y%m%d%H%M%S").replace(
                microsecond=int(stamp[14:]), tzinfo=STOCKHOLM
            )
        except ValueError:
            line.fail("write time stamp (25-44)", f"not a date and time: {stamp!r}")
        marker = line.raw(45, 45)
        if marker not in ("T", "P"):
            line.fail("test marker (45)", f"expected T or P, got {marker!r}")
        return written, stamp, marker == "T", version

    # --- TK20/21 and what follows them ------------------------------------------------------------

    def payment(self, line: _Line) -> Payment:
        tk = line.tk
        bankgiro_raw = line.raw(3, 12)
        bankgiro: str | None = None
        if bankgiro_raw.isascii() and bankgiro_raw.isdigit():
            bankgiro = bankgiro_raw.lstrip("0") or None
        else:
            self.warn(line, "payer bankgiro (3-12)", f"not numeric ({bankgiro_raw!r}): payer unknown")
        reference_code = line.code(56, "reference code")
        channel = line.code(57, "payment channel code")
        image = line.optional_digits(70, 70, "image marker")
        self.code_meaning(line, reference_code, REFERENCE_CODES, "reference code (56)")
        self.code_meaning(line, channel, CHANNEL_CODES, "payment channel code (57)")
        self.code_meaning(line, image, IMAGE_CODES, "image marker (70)")
        deduction_code = None
        if tk == DEDUCTION:
            deduction_code = line.code(71, "deduction code")
            self.code_meaning(line, deduction_code, DEDUCTION_CODES, "deduction code (71)")
            if line.raw(72, 80).strip():
                line.fail("reserved (72-80)", "must be blank")
        elif line.raw(71, 80).strip():
            line.fail("reserved (71-80)", "must be blank")
        return Payment(
            tk=tk,
            reference=line.text_field(13, 37),
            amount=line.number(38, 55, "payment amount"),
            reference_code=reference_code,
            channel=channel,
            bgc_serial=line.optional_digits(58, 69, "BGC serial number"),
            image_marker=image,
            deduction_code=deduction_code,
            payer=Payer(bankgiro=bankgiro, bankgiro_raw=bankgiro_raw),
            line_no=line.no,
        )

    def extra_reference(self, line: _Line, payment: Payment) -> ExtraReference:
        extra = ExtraReference(
            tk=line.tk,
            reference=line.text_field(13, 37),
            amount=line.number(38, 55, "amount"),
            reference_code=line.code(56, "reference code"),
            channel=line.code(57, "payment channel code"),
            payer_bankgiro_raw=line.raw(3, 12),
            bgc_serial=line.optional_digits(58, 69, "BGC serial number"),
            image_marker=line.optional_digits(70, 70, "image marker"),
            line_no=line.no,
        )
        if line.raw(71, 80).strip():
            line.fail("reserved (71-80)", "must be blank")
        self.code_meaning(line, extra.reference_code, REFERENCE_CODES, "reference code (56)")
        for name, mine, theirs in (
            ("payer bankgiro (3-12)", extra.payer_bankgiro_raw, payment.payer.bankgiro_raw),
            ("payment channel code (57)", extra.channel, payment.channel),
            ("BGC serial number (58-69)", extra.bgc_serial, payment.bgc_serial),
            ("image marker (70)", extra.image_marker, payment.image_marker),
        ):
            if mine != theirs:
                self.warn(line, name, f"differs from its payment on line {payment.line_no}")
        return extra

    def detail(self, line: _Line, payment: Payment) -> Payment:
        payer = payment.payer
        if line.tk == "25":
            if line.raw(53, 80).strip():
                line.fail("reserved (53-80)", "must be blank")
            return replace(payment, information=(*payment.information, line.raw(3, 52).rstrip()))
        if line.tk == "26":
            payer = replace(payer, name=line.optional(3, 37), extra_name=line.optional(38, 72))
            reserved = (73, 80)
        elif line.tk == "27":
            payer = replace(payer, address=line.optional(3, 37), postcode=line.optional(38, 46))
            reserved = (47, 80)
        elif line.tk == "28":
            payer = replace(
                payer,
                town=line.optional(3, 37),
                country=line.optional(38, 72),
                country_code=line.optional(73, 74),
            )
            reserved = (75, 80)
        else:  # 29
            raw = line.raw(3, 14)
            number = raw if raw.isascii() and raw.isdigit() else None
            if number is None:
                self.warn(line, "organisation number (3-14)", f"not numeric ({raw!r}): kept as text")
            payer = replace(
                payer,
                organisation_number=number.lstrip("0") or None if number else None,
                organisation_number_raw=raw.strip() or None,
            )
            reserved = (15, 80)
        if line.raw(*reserved).strip():
            line.fail(f"reserved ({reserved[0]}-{reserved[1]})", "must be blank")
        return replace(payment, payer=payer)


# Order of the records that follow a payment (FORMAT.md §1): extra references and messages first (a
# message may sit between extra references), then name, address 1, address 2 (always right after
# address 1), organisation number; each of the last four at most once.
_RANK = {"22": 1, "23": 1, "25": 1, "26": 2, "27": 3, "28": 4, "29": 5}


def parse_bgmax(data: bytes | str) -> BgMaxFile:
    """Parse a BgMax file (bytes are read as ISO-8859-1)."""
    lines = _lines(data)
    if not lines:
        raise BgMaxParseError(1, "file", "no records found")
    reader = _Reader()
    written, stamp, test, version = reader.start(lines[0])
    deposits: list[Deposit] = []
    ignored = 0
    opening: _Line | None = None
    payments: list[Payment] = []
    rank = 0
    end: _Line | None = None
    counted = {"20": 0, "21": 0, "22": 0, "15": 0}

    for line in lines[1:]:
        tk = line.tk
        if end is not None:
            line.fail("transaction code (1-2)", f"nothing may follow the end record TK70 (line {end.no})")
        if tk not in KNOWN:
            reader.warn(line, "transaction code (1-2)", f"unknown record type {tk!r}: ignored")
            ignored += 1
            continue
        if tk == "01":
            line.fail("transaction code (1-2)", "a second start record TK01")
        if tk == "05":
            if opening is not None:
                line.fail("transaction code (1-2)", f"the section opened on line {opening.no} has no TK15")
            opening = line
            payments, rank = [], 0
            continue
        if tk == "70":
            if opening is not None:
                line.fail("transaction code (1-2)", f"the section opened on line {opening.no} has no TK15")
            end = line
            continue
        if opening is None:
            line.fail("transaction code (1-2)", f"TK{tk} outside a section (TK05 ... TK15)")
        if tk in (PAYMENT, DEDUCTION):
            if rank == 3:
                line.fail("transaction code (1-2)", "address record TK27 must be followed by TK28")
            payments.append(reader.payment(line))
            counted[tk] += 1
            rank = 0
            continue
        if tk in _RANK:
            if not payments:
                line.fail("transaction code (1-2)", f"TK{tk} before the section's first TK20 or TK21")
            new = _RANK[tk]
            if (rank == 3 and new != 4) or (new == 4 and rank != 3):
                line.fail("transaction code (1-2)", "address record TK27 must be followed by TK28")
            if new < rank or (new == rank and new > 1):
                line.fail(
                    "transaction code (1-2)",
                    f"TK{tk} out of order after the payment on line {payments[-1].line_no}",
                )
            rank = new
            current = payments[-1]
            if tk in (EXTRA_REFERENCE, EXTRA_CREDIT):
                current = replace(
                    current,
                    extra_references=(*current.extra_references, reader.extra_reference(line, current)),
                )
                counted["22"] += 1
            else:
                current = reader.detail(line, current)
            payments[-1] = current
            continue
        # TK15: the deposit closes the section.
        if rank == 3:
            line.fail("transaction code (1-2)", "address record TK27 must be followed by TK28")
        if not payments:
            line.fail("transaction code (1-2)", "a section needs at least one TK20 or TK21")
        deposits.append(_deposit(reader, opening, line, payments))
        counted["15"] += 1
        opening, payments, rank = None, [], 0

    if opening is not None:
        lines[-1].fail("transaction code (1-2)", f"the section opened on line {opening.no} has no TK15")
    if end is None:
        lines[-1].fail("transaction code (1-2)", "the file has no end record TK70")
    for start, stop, name, key in (
        (3, 10, "number of payment records", "20"),
        (11, 18, "number of deduction records", "21"),
        (19, 26, "number of extra reference records", "22"),
        (27, 34, "number of deposit records", "15"),
    ):
        written_count = end.number(start, stop, name)
        if written_count != counted[key]:
            end.fail(
                f"{name} ({start}-{stop})",
                f"the end record says {written_count}, the file has {counted[key]}",
            )
    if end.raw(35, 80).strip():
        end.fail("reserved (35-80)", "must be blank")
    for deposit in deposits:
        for payment in deposit.payments:
            _check_split(reader, payment)
    return BgMaxFile(
        written_at=written,
        timestamp=stamp,
        test=test,
        deposits=tuple(deposits),
        layout_version=version,
        warnings=tuple(sorted(reader.warnings, key=lambda w: w.line_no)),
        records_read=len(lines) - ignored,
    )


def _deposit(reader: _Reader, opening: _Line, line: _Line, payments: list[Payment]) -> Deposit:
    payee = opening.digits(3, 12, "payee bankgiro number")
    if not payee.strip("0"):
        opening.fail("payee bankgiro number (3-12)", "must not be zero")
    plusgiro_raw = opening.raw(13, 22)
    plusgiro = None
    if plusgiro_raw.strip():
        plusgiro = opening.digits(13, 22, "payee PlusGiro number").lstrip("0") or None
    currency = opening.text_field(23, 25)
    if currency != "SEK":
        opening.fail("currency (23-25)", f"only SEK is reported since 2016, got {currency!r}")
    if opening.raw(26, 80).strip():
        opening.fail("reserved (26-80)", "must be blank")
    account_raw = line.digits(3, 37, "bank account number")
    line.digits(38, 45, "payment date")
    try:
        paid_on = date(int(line.raw(38, 41)), int(line.raw(42, 43)), int(line.raw(44, 45)))
    except ValueError:
        line.fail("payment date (38-45)", f"not a date: {line.raw(38, 45)!r}")
    serial = line.digits(46, 50, "deposit serial number")
    amount = line.number(51, 68, "deposit amount")
    deposit_currency = line.raw(69, 71)
    if deposit_currency != currency:
        line.fail("currency (69-71)", f"{deposit_currency!r} differs from the opening record's {currency!r}")
    count = line.number(72, 79, "number of payments")
    if count != len(payments):
        line.fail(
            "number of payments (72-79)", f"the deposit record says {count}, the section has {len(payments)}"
        )
    total = sum(p.signed_amount for p in payments)
    if amount != total:
        line.fail(
            "deposit amount (51-68)",
            f"the deposit record says {amount}, the payments less deductions give {total}",
        )
    kind = line.raw(80, 80).strip() or None
    return Deposit(
        payee_bankgiro=payee.lstrip("0"),
        payments=tuple(payments),
        account=BankAccount(
            clearing=account_raw[19:23], number=account_raw[23:].lstrip("0"), raw=account_raw
        ),
        payment_date=paid_on,
        serial=serial,
        amount=amount,
        currency=currency,
        payee_plusgiro=plusgiro,
        deposit_type=kind,
        line_no=line.no,
    )


def _check_split(reader: _Reader, payment: Payment) -> None:
    """Where extra references carry amounts they have added up to the payment in every example; a
    mismatch is a warning only (FORMAT.md §4, unconfirmed rule)."""
    if not payment.extra_references or all(x.amount == 0 for x in payment.extra_references):
        return
    total = sum(x.signed_amount for x in payment.extra_references)
    if total != payment.amount:
        reader.warnings.append(
            BgMaxWarning(
                payment.line_no,
                "payment amount (38-55)",
                f"its extra references add up to {total}, the payment is {payment.amount}",
            )
        )
