"""Reading the monitoring-register extract (manual §8.7) and the mandate-register extract (§8.8)."""

from __future__ import annotations

from billing.domain.autogiro.parser.lines import (
    _check_signed_totals,
    _Line,
    _scheduled_payment_fields,
    _sections,
    _signed_totals,
)
from billing.domain.autogiro.records import (
    FuturePayment,
    MandateRegisterEntry,
    MandateRegisterFile,
    MonitoringRegisterFile,
    MonitoringRegisterSection,
)


def _future_payment(line: _Line) -> FuturePayment:
    if line.tk not in ("82", "32"):
        line.fail("transaction code", "the monitoring register holds TK82 and TK32 records")
    return FuturePayment(
        direction=line.direction(),
        payment_date=line.date(3, 10, "payment date"),
        **_scheduled_payment_fields(line),
    )


def _parse_monitoring_register(lines: list[_Line]) -> MonitoringRegisterFile:
    sections: list[MonitoringRegisterSection] = []
    for opening, body, closing in _sections(lines, "01", "09"):
        opening.expect(11, 35, "AUTOGIRO9900BEVAKNINGSREG", "content")
        payments = tuple(_future_payment(line) for line in body)
        totals = _signed_totals(closing)
        _check_signed_totals(closing, totals, [(p.direction, p.amount_ore) for p in payments])
        sections.append(
            MonitoringRegisterSection(
                write_date=opening.date(3, 10, "write date"),
                customer_number=opening.digits(63, 68, "customer number").lstrip("0"),
                payee_bankgiro=opening.bankgiro(69, 78),
                payments=payments,
                totals=totals,
            )
        )
    return MonitoringRegisterFile(sections=tuple(sections))


# --- Mandate-register extract (§8.8) -------------------------------------------------------------


def _register_entry(line: _Line) -> MandateRegisterEntry:
    mandate_type = line.number(39, 39, "mandate type")
    if mandate_type not in (1, 2):
        line.fail("mandate type (39)", f"expected 1 or 2, got {mandate_type}")
    status = line.number(58, 58, "status")
    if status not in (1, 2):
        line.fail("status (58)", f"expected 1 or 2, got {status}")
    changed_text = line.raw(50, 57)
    return MandateRegisterEntry(
        payee_bankgiro=line.bankgiro(1, 10),
        identity=line.identity(11, 22),
        payer_number=line.payer(23, 38),
        mandate_type=mandate_type,
        last_activity_year=line.number(40, 41, "last activity year"),
        created_on=line.lenient_date(42, 49),
        changed_on=None
        if not changed_text.strip() or changed_text.strip("0") == ""
        else line.date(50, 57, "changed date"),
        status=status,
        account=line.account(65, 80),
    )


def _parse_mandate_register(lines: list[_Line]) -> MandateRegisterFile:
    # These records have no transaction code: positions 1-2 start the payee bankgiro.
    named = [_Line(line.no, line.text, label="register record") for line in lines]
    return MandateRegisterFile(entries=tuple(_register_entry(line) for line in named))
