"""The bank inbox shared by the Autogiro and BgMax imports: whose file it is, and a refused line named."""

from __future__ import annotations

import hashlib

import pytest

from billing.domain.autogiro.parser import AutogiroParseError, parse_file
from billing.domain.bgmax.parser import BgMaxParseError, parse_bgmax
from billing.services.bank_inbox import read_bank_file, tenant_of_inbox_key
from billing.services.errors import PermanentError


class Files(dict[str, bytes]):
    def read(self, key: str) -> bytes:
        return self[key]


@pytest.mark.parametrize(
    "key",
    [
        "bgmax/inbox/t1",
        "bgmax/inbox//file",
        "bgmax/inbox/t1/",
        "autogiro/inbox/t1/f",
        "other/bgmax/inbox/t1/f",
    ],
)
def test_a_key_outside_the_inbox_is_refused_by_its_field(key: str) -> None:
    # Given a key that is not <prefix><tenant>/<file>; When it is read; Then the error names "key".
    with pytest.raises(PermanentError) as refused:
        tenant_of_inbox_key(key, "bgmax/inbox/")
    assert refused.value.field == "key"


def test_the_tenant_is_the_folder_under_the_inbox() -> None:
    assert tenant_of_inbox_key("autogiro/inbox/acme/2026-12-05.txt", "autogiro/inbox/") == "acme"
    assert tenant_of_inbox_key("bgmax/inbox/acme/sub/f.txt", "bgmax/inbox/") == "acme"


def test_a_file_is_read_once_with_its_digest() -> None:
    # Given a file; When it is read with a parse that keeps the bytes; Then the digest is the bytes'.
    files = Files({"k": b"01abc"})
    digest, parsed = read_bank_file(files, "k", bytes.upper, BgMaxParseError)
    assert (digest, parsed) == (hashlib.sha256(b"01abc").hexdigest(), b"01ABC")


@pytest.mark.parametrize(
    ("parse", "refused"), [(parse_bgmax, BgMaxParseError), (parse_file, AutogiroParseError)]
)
def test_bytes_the_format_refuses_are_a_permanent_error_naming_the_line(parse, refused) -> None:  # type: ignore[no-untyped-def]
    # Given bytes that are not a Bankgirot file; When read; Then a permanent "parse" error names line 1.
    files = Files({"k": b"not a bank file\n"})
    with pytest.raises(PermanentError) as error:
        read_bank_file(files, "k", parse, refused)
    assert error.value.code == "parse"
    assert "line 1: " in str(error.value)
    assert error.value.field
