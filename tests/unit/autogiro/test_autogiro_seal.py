"""The HMAC seal reproduces Bankgirot's test vectors, and a sealed file is checked on parsing."""

from __future__ import annotations

from datetime import date

import pytest
from autogiro_examples import read_example

from billing.domain.autogiro.parser import AutogiroParseError, parse_file
from billing.domain.autogiro.records import Direction, PaymentOrder, RequestFile, RequestOpening
from billing.domain.autogiro.seal import (
    TEST_KEY,
    SealError,
    compute_seal,
    key_verification_value,
    normalise,
    seal_file,
    verify_sealed_file,
)
from billing.domain.autogiro.writer import build_request_file, write_request_file

VECTORS = {
    "testfall-1a.txt": "FF365893D899291C3BF505FB3175E880",
    "testfall-1b.txt": "9BA94363739D45256DF4B6FA3B9DE1CD",
    "testfall-1c.txt": "826CA6CBA33F7E1D3CC9161A0956A35B",
    "hmac_testfall-2a.txt": "9473EDFCAA8CD2434D6D76ABFFC991BD",
    "hmac_testfall-2b.txt": "20956E44B404C4085446139B2B952D77",
    "hmac_testfall-2c.txt": "515704694958361678194D51850FF157",
    "hmac_testfall-2d.txt": "68C5954818010DDDCB1EC02963E8C123",
}


@pytest.mark.parametrize(("name", "expected"), sorted(VECTORS.items()))
def test_seal_matches_bankgirot_test_vector(name: str, expected: str) -> None:
    # Given one of Bankgirot's HMAC test files and the test key
    data = read_example(f"seal-test-vectors/{name}")
    # When it is sealed; Then the seal is Bankgirot's
    assert compute_seal(data, TEST_KEY) == expected


def test_normalisation_maps_swedish_letters_and_replaces_the_rest() -> None:
    # Given Latin-1 text with Swedish letters, a tab and line ends
    data = "ÅÄÖåäöÉéÜü\t\r\nA".encode("latin-1")
    # When normalised; Then letters map to their 7-bit variants, CR/LF go, other bytes become 0xC3
    assert normalise(data) == b"][\\}{|@`^~\xc3A"


def test_key_verification_value_is_the_seal_of_eight_zeros() -> None:
    # Given the test key; Then the KVV is test case 1A's seal
    assert key_verification_value(TEST_KEY) == "FF365893D899291C3BF505FB3175E880"


@pytest.mark.parametrize("key", ["1234", "1234567890ABCDEF1234567890ABCDEG"])
def test_bad_keys_are_refused(key: str) -> None:
    with pytest.raises(SealError) as caught:
        compute_seal(b"x", key)
    assert caught.value.field == "key"


def _sealed_file() -> tuple[bytes, RequestFile]:
    opening = RequestOpening(date(2026, 1, 15), "123456", "58056201")
    file = build_request_file(
        opening, payments=[PaymentOrder(Direction.INCOMING, date(2026, 1, 30), "1234", 34900, "ÅRSAVGIFT")]
    )
    return seal_file(write_request_file(file), TEST_KEY, date(2026, 1, 15)), file


def test_sealed_file_verifies_and_parses_back() -> None:
    # Given a request file sealed with the test key
    sealed, file = _sealed_file()

    # When it is verified and parsed with the key
    check = verify_sealed_file(sealed, TEST_KEY)
    parsed = parse_file(sealed, seal_key=TEST_KEY)

    # Then the seal and KVV match, the TK00/TK99 frame the file, and the records are unchanged
    assert check.seal_ok and check.kvv_ok
    lines = sealed.split(b"\r\n")
    assert lines[0] == b"00260115HMAC".ljust(80)
    assert lines[-2][:8] == b"99260115" and len(lines[-2]) == 80
    assert isinstance(parsed, RequestFile)
    assert parsed.sections == file.sections
    assert parsed.seal is not None and parsed.seal.seal == check.written_seal


def test_changed_sealed_file_is_refused() -> None:
    # Given a sealed file where one amount digit changed after sealing
    sealed, _ = _sealed_file()
    tampered = sealed.replace(b"000000034900", b"000000934900")

    # When it is parsed with the key; Then the seal field of TK99 is named
    with pytest.raises(AutogiroParseError) as caught:
        parse_file(tampered, seal_key=TEST_KEY)
    assert caught.value.field == "TK99 seal (41-72)"
    assert not verify_sealed_file(tampered, TEST_KEY).seal_ok


def test_wrong_key_is_told_apart_from_a_changed_file() -> None:
    # Given a sealed file checked with another key
    sealed, _ = _sealed_file()
    # When parsed; Then the key verification value is named, not the seal
    with pytest.raises(AutogiroParseError) as caught:
        parse_file(sealed, seal_key="00" * 16)
    assert caught.value.field == "TK99 key verification value (9-40)"


def test_a_seal_key_for_an_unsealed_file_is_an_error() -> None:
    # Given an unsealed request file and a seal key
    _, file = _sealed_file()
    # When it is parsed with the key; Then the missing seal is reported
    with pytest.raises(AutogiroParseError, match="no TK00 seal record"):
        parse_file(write_request_file(file), seal_key=TEST_KEY)
