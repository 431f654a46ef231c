"""What a merchant may send about a customer, checked field by field (pydantic).

Swedish identity numbers use the domain's checks (billing.domain.autogiro.validation: Luhn, real
dates, the organisationsnummer's third digit); VAT numbers python-stdnum's per-country rules; a
country must be an ISO 3166 code Babel knows; a time zone one zoneinfo has. An error names the field.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as StdnumError

from billing.domain.autogiro.validation import (
    ValidationError,
    validate_organisationsnummer,
    validate_personnummer,
)

CUSTOMER_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
# Deliberately plain: one @, a dot in the domain, no spaces. Deliverability is SES's to find out.
_EMAIL = re.compile(r"^[^@\s\x00-\x1f]{1,64}@[^@\s\x00-\x1f]+\.[^@\s\x00-\x1f]{2,}$")


@cache
def _countries() -> frozenset[str]:
    """ISO 3166 alpha-2 codes, from Babel's CLDR data: read on the first country checked, since loading
    the locale data is a tenth of the merchant API's cold start and most requests name no country."""
    from babel import Locale

    return frozenset(
        str(code) for code in Locale("en").territories if len(str(code)) == 2 and str(code).isalpha()
    )


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
AddressLine = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


def check_email(value: str) -> str:
    if len(value) > 254 or not _EMAIL.fullmatch(value):
        raise ValueError("not an email address (name@domain.tld)")
    return value


def check_country(value: str) -> str:
    code = value.upper()
    if code not in _countries():
        raise ValueError(f"not an ISO 3166 country code: {value!r}")
    return code


def check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except Exception:  # zoneinfo raises several kinds for a bad key (ValueError, OSError, ...)
        raise ValueError(f"unknown time zone {value!r}") from None
    return value


def check_vat_number(value: str, country: str) -> str:
    try:
        compact = str(eu_vat.validate(value))
    except StdnumError as error:
        raise ValueError(f"not a valid EU VAT number ({error})") from None
    prefix = "EL" if country == "GR" else country
    if compact[:2] != prefix:
        raise ValueError(f"a VAT number for country {country} starts with {prefix}")
    return compact


def check_org_number(value: str, country: str) -> str:
    """Swedish organisationsnummer (or, for a sole trader, the owner's 12-digit personnummer) as
    NNNNNN-NNNN; another country's company number is kept as given."""
    if country != "SE":
        return value
    try:
        digits = validate_organisationsnummer(value, "org_number")
    except ValidationError as org_error:
        try:
            digits = check_personal_number(value)[2:]
        except ValueError:
            raise ValueError(org_error.reason) from None
    return f"{digits[:6]}-{digits[6:]}"


def check_personal_number(value: str) -> str:
    """A personnummer in its 12-digit form (YYYYMMDD-NNNC): the 10-digit form leaves the century to
    a guess from today's date, which a merchant's system can always spare us."""
    if sum(c.isdigit() for c in value) != 12:
        raise ValueError("write the personnummer with 12 digits: YYYYMMDD-NNNC")
    try:
        return validate_personnummer(value, "personal_number")
    except ValidationError as error:
        raise ValueError(error.reason) from None


class CustomerFields(BaseModel):
    """A customer's details, whole: create sends these, update sends any of them. Fields are checked
    in order, so the identity numbers see the country and is_business already checked."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Text
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=254)]
    address: list[AddressLine] = Field(min_length=1, max_length=6)
    country: Annotated[str, StringConstraints(min_length=2, max_length=2)] = "SE"
    language: Literal["sv", "en"] = "sv"
    timezone: Annotated[str, StringConstraints(min_length=1, max_length=64)] = "Europe/Stockholm"
    is_business: bool = False
    org_number: Annotated[str, StringConstraints(min_length=1, max_length=32)] | None = None
    personal_number: Annotated[str, StringConstraints(min_length=10, max_length=15)] | None = None
    vat_number: Annotated[str, StringConstraints(min_length=4, max_length=20)] | None = None
    reference: Text | None = None

    _email = field_validator("email")(check_email)
    _country = field_validator("country")(check_country)
    _timezone = field_validator("timezone")(check_timezone)

    @field_validator("org_number")
    @classmethod
    def _org_number(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or "country" not in info.data:
            return value
        if not info.data.get("is_business"):
            raise ValueError("only a business customer (is_business) has one")
        return check_org_number(value, info.data["country"])

    @field_validator("personal_number")
    @classmethod
    def _personal_number(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or "country" not in info.data:
            return value
        if info.data.get("is_business"):
            raise ValueError("a business customer has an org_number instead")
        if info.data["country"] != "SE":
            raise ValueError("only Swedish customers (country SE) have one")
        return check_personal_number(value)

    @field_validator("vat_number")
    @classmethod
    def _vat_number(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or "country" not in info.data:
            return value
        return check_vat_number(value, info.data["country"])


class CustomerCreate(CustomerFields):
    """`POST /v1/customers`: the merchant's id for the customer (generated when absent) and details."""

    id: Annotated[str, StringConstraints(pattern=CUSTOMER_ID_PATTERN)] | None = None


class CustomerUpdate(BaseModel):
    """`POST /v1/customers/{id}`: only the fields sent change; null clears an optional one."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    email: str | None = None
    address: list[str] | None = None
    country: str | None = None
    language: str | None = None
    timezone: str | None = None
    is_business: bool | None = None
    org_number: str | None = None
    personal_number: str | None = None
    vat_number: str | None = None
    reference: str | None = None


class CustomerView(BaseModel):
    """A customer as the API answers it. The personal number is masked: the merchant sent it and
    need not see it again over the wire."""

    object: Literal["customer"] = "customer"
    id: str
    name: str
    email: str
    address: list[str]
    country: str
    language: str
    timezone: str
    is_business: bool
    org_number: str | None
    personal_number: str | None
    vat_number: str | None
    reference: str | None
    has_subscription: bool
    created_at: str
    updated_at: str


class CustomerList(BaseModel):
    object: Literal["list"] = "list"
    data: list[CustomerView]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null on the last")
