"""A realistic demo merchant: Norrsken Mobil AB, a Swedish mobile operator, its plans and customers.

Deterministic (seeded), so every `make demo` shows the same customers. Amounts in the catalog are öre
excluding VAT (25 %), chosen so the prices customers know are round kronor including VAT
(11 920 öre + 25 % = 149 kr).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

TENANT_ID = "demo"
STOCKHOLM = ZoneInfo("Europe/Stockholm")

TENANT_SETTINGS: dict[str, Any] = {
    "tenant_id": TENANT_ID,
    "legal_name": "Norrsken Mobil AB",
    "org_number": "559123-4561",  # a valid check digit: onboarding checks it
    "vat_number": "SE559123456101",
    "address": ["Sveavägen 44", "111 34 Stockholm"],
    "currency": "SEK",
    "country": "SE",
    "payment_terms_days": 30,
    "invoice_series_prefix": "NM-",
    "bankgiro": "5050-1055",
    "ocr_length_digit": True,
    "timezone": "Europe/Stockholm",
    "email": "faktura@example.com",
}


def tenant_settings(tenant_id: str = TENANT_ID) -> dict[str, Any]:
    return {**TENANT_SETTINGS, "tenant_id": tenant_id}


PAGE_SETTINGS: dict[str, Any] = {
    "name": "Norrsken Mobil",
    "colour": "#1f4e79",
    "support_email": "kundservice@example.com",
    "plan_fit": {"threshold": 10000, "periods": 3},
    "loyal_after_months": 12,
    "loyalty": [
        {
            "after_years": 2,
            "text": {
                "sv": "Som tack: fri roaming i Norden hela december.",
                "en": "As a thank you: free roaming in the Nordics all December.",
            },
        },
    ],
    "offers": [
        {
            "offer_id": "plus-upgrade",
            "title": {"sv": "Mer surf med Plus 15 GB", "en": "More data with Plus 15 GB"},
            "body": {
                "sv": "Du har köpt extra surf flera månader i rad. Med Plus ingår 15 GB för 249 kr.",
                "en": "You have bought extra data several months running. Plus includes 15 GB for 249 kr.",
            },
            "url": "https://example.com/norrsken/plus",
            "charge_code": "data",
            "min_periods": 2,
            "window": 3,
            "segment": {"plans": ["bas"]},
            "plan": "plus",
        }
    ],
    "poll": {
        "poll_id": "nps",
        "question": {
            "sv": "Hur troligt är det att du rekommenderar oss till en vän?",
            "en": "How likely are you to recommend us to a friend?",
        },
        "scale": 10,
        "from_zero": True,
    },
    "announcements": [
        {
            "announcement_id": "5g-norr",
            "title": {"sv": "5G i hela Norrland", "en": "5G across Norrland"},
            "body": {
                "sv": "Från den 1 december når vårt 5G-nät alla orter i Norrland.",
                "en": "From 1 December our 5G network reaches every town in Norrland.",
            },
            "starts": "2026-12-01",
            "ends": "2027-01-31",
            # Norrland's postal codes start with 8 or 9 (Gävleborg and northwards).
            "segment": {"postcodes": ["80", "81", "82", "83", "84", "85", "86", "87", "88", "89", "9"]},
        }
    ],
    "causes": [
        {
            "cause_id": "fjallraddning",
            "title": {"sv": "Fjällräddningen", "en": "Mountain rescue"},
            "body": {
                "sv": "Vi skänker 10 kr per kund och år till fjällräddningen i Norrbotten och Jämtland.",
                "en": "We give 10 kr per customer a year to mountain rescue in Norrbotten and Jämtland.",
            },
            "url": "https://example.com/norrsken/fjallraddning",
        }
    ],
}


def _data_charge(included_gb: int, price_per_gb: int) -> dict[str, Any]:
    return {
        "code": "data",
        "name": "Surf",  # all data used; the first tier (what the plan includes) costs nothing
        "model": "graduated",
        "metric": "data_gb",
        "aggregation": "sum",
        "unit": "GB",
        "group": "Surf",
        "tiers": [
            {"up_to": str(included_gb), "unit_price": "0"},
            {"up_to": None, "unit_price": str(price_per_gb)},
        ],
        "vat_rate": "25",
    }


def _plan(code: str, name: str, fee: int, included_gb: int, price_per_gb: int) -> dict[str, Any]:
    return {
        "code": code,
        "name": name,
        "interval": "monthly",
        "currency": "SEK",
        "charges": [
            {
                "code": "subscription",
                "name": f"Abonnemang {name}",
                "model": "flat",
                "amount": fee,
                "group": "Abonnemang",
                "vat_rate": "25",
            },
            _data_charge(included_gb, price_per_gb),
            {
                "code": "intl_calls",
                "name": "Samtal till utlandet",
                "model": "per_unit",
                "metric": "intl_minutes",
                "aggregation": "sum",
                "unit": "min",
                "unit_price": "119.2",
                "group": "Samtal",
                "vat_rate": "25",
            },
            {
                "code": "sms",
                "name": "SMS",
                "model": "package",
                "metric": "sms",
                "aggregation": "count",
                "unit": "SMS",
                "package_size": "100",
                "package_price": 1592,
                "free_units": "300",
                "group": "Meddelanden",
                "vat_rate": "25",
            },
        ],
    }


CATALOG: dict[str, Any] = {
    "plans": [
        _plan("bas", "Bas 3 GB", 11920, 3, 3120),
        _plan("plus", "Plus 15 GB", 19920, 15, 3120),
        _plan("max", "Max 50 GB", 31920, 50, 1592),
    ]
}

FIRST_NAMES = [
    "Anna",
    "Erik",
    "Maria",
    "Lars",
    "Karin",
    "Anders",
    "Eva",
    "Johan",
    "Sara",
    "Per",
    "Elin",
    "Mikael",
    "Emma",
    "Olof",
    "Ingrid",
    "Nils",
    "Linnea",
    "Gustav",
    "Astrid",
    "Oskar",
    "Maja",
    "Axel",
    "Saga",
    "Leo",
]
LAST_NAMES = [
    "Andersson",
    "Johansson",
    "Karlsson",
    "Nilsson",
    "Eriksson",
    "Larsson",
    "Olsson",
    "Persson",
    "Svensson",
    "Gustafsson",
    "Lindqvist",
    "Berg",
    "Holm",
    "Lund",
    "Ek",
    "Sundberg",
    "Åkesson",
    "Öberg",
]
STREETS = ["Storgatan", "Drottninggatan", "Kungsgatan", "Ringvägen", "Skolgatan", "Järnvägsgatan"]
CITIES = [
    ("111 22", "Stockholm"),
    ("411 18", "Göteborg"),
    ("211 20", "Malmö"),
    ("753 20", "Uppsala"),
    ("903 26", "Umeå"),
    ("582 24", "Linköping"),
]


@dataclass(frozen=True)
class DemoCustomer:
    profile: dict[str, Any]
    subscription: dict[str, Any]
    email: str
    start: date
    usage_profile: str  # light | medium | heavy


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    y, m = divmod(day.month - 1 + months, 12)
    return date(day.year + y, m + 1, 1)


def customers(
    count: int, *, history_start: date, seed: int = 20261123, tenant_id: str = TENANT_ID
) -> list[DemoCustomer]:
    rng = random.Random(seed)
    result = []
    for i in range(count):
        cid = f"c{i + 1:05d}"
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        postcode, city = rng.choice(CITIES)
        usage_profile = rng.choices(["light", "medium", "heavy"], weights=[4, 4, 2])[0]
        # Mostly sensible plans, with the mismatches real customers have: heavy users on the small
        # plan (they buy extra data), light users paying for the largest one.
        natural = {"light": "bas", "medium": "plus", "heavy": "max"}[usage_profile]
        plan = natural if rng.random() < 0.7 else rng.choice(["bas", "plus", "max"])
        # Tenure from 1 month to 4 years; the earliest months predate this system's history.
        months_ago = rng.choice([0, 1, 2, 5, 8, 11, 13, 23, 30, 47])
        start = add_months(history_start, 11 - months_ago)
        if months_ago < 11 and rng.random() < 0.5:
            start = start + timedelta(days=rng.randint(1, 20))  # a mid-month start: prorated first fee
        language = "en" if rng.random() < 0.15 else "sv"
        result.append(
            DemoCustomer(
                profile={
                    "id": cid,
                    "name": f"{first} {last}",
                    "address": [f"{rng.choice(STREETS)} {rng.randint(1, 80)}", f"{postcode} {city}"],
                    "country": "SE",
                    "language": language,
                    "timezone": "Europe/Stockholm",
                    "email": f"{first.lower()}.{last.lower()}.{cid}@example.se".replace("å", "a")
                    .replace("ä", "a")
                    .replace("ö", "o")
                    .replace("Å", "a")
                    .replace("Ö", "o"),
                },
                subscription={
                    "id": f"sub_{cid}",
                    "customer_id": cid,
                    "anchor": "calendar",
                    "phases": [{"plan": plan, "start": start.isoformat()}],
                },
                email=f"{cid}.{tenant_id}@kund.example.se",
                start=start,
                usage_profile=usage_profile,
            )
        )
    return result


def usage_events(customer: DemoCustomer, start: date, end: date, *, seed: int = 7) -> list[dict[str, Any]]:
    """Usage from max(start, the customer's start) to `end` (exclusive), a few sessions a month."""
    rng = random.Random(f"{seed}:{customer.profile['id']}")
    monthly_gb = {"light": (0.5, 3.5), "medium": (4.0, 14.0), "heavy": (12.0, 45.0)}[customer.usage_profile]
    events: list[dict[str, Any]] = []
    cid = customer.profile["id"]
    month = month_start(max(start, customer.start))
    n = 0
    while month < end:
        nxt = add_months(month, 1)
        first_day = max(month, customer.start)
        days = (min(nxt, end) - first_day).days
        if days <= 0:
            month = nxt
            continue
        total_gb = Decimal(str(round(rng.uniform(*monthly_gb), 1)))
        sessions = 6
        for _ in range(sessions):
            when = datetime.combine(
                first_day + timedelta(days=rng.randrange(days)), datetime.min.time(), tzinfo=STOCKHOLM
            ) + timedelta(hours=rng.randint(7, 22), minutes=rng.randint(0, 59))
            share = (total_gb / sessions).quantize(Decimal("0.1"))
            n += 1
            events.append(
                {
                    "id": f"{cid}-d{n}",
                    "customer_id": cid,
                    "metric": "data_gb",
                    "timestamp": when.astimezone(UTC).isoformat(),
                    "value": str(share),
                }
            )
        for _ in range(rng.choice([0, 0, 0, 1, 2])):
            when = datetime.combine(
                first_day + timedelta(days=rng.randrange(days)), datetime.min.time(), tzinfo=STOCKHOLM
            ) + timedelta(hours=rng.randint(8, 21))
            n += 1
            events.append(
                {
                    "id": f"{cid}-c{n}",
                    "customer_id": cid,
                    "metric": "intl_minutes",
                    "timestamp": when.astimezone(UTC).isoformat(),
                    "value": str(rng.randint(3, 40)),
                }
            )
        for _ in range(rng.choice([0, 1, 3])):
            when = datetime.combine(
                first_day + timedelta(days=rng.randrange(days)), datetime.min.time(), tzinfo=STOCKHOLM
            ) + timedelta(hours=rng.randint(8, 21))
            n += 1
            events.append(
                {
                    "id": f"{cid}-s{n}",
                    "customer_id": cid,
                    "metric": "sms",
                    "timestamp": when.astimezone(UTC).isoformat(),
                    "value": "1",
                }
            )
        month = nxt
    return events
