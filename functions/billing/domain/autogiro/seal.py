"""HMAC-SHA256 change protection (sigill) for files sent to Bankgirot.

The computation follows Bankgirot's HMAC method and reproduces all seven Bankgirot test vectors
(`examples/seal-test-vectors`, FORMAT.md §1.1):

1. the key is 32 hex characters, i.e. 16 bytes;
2. the data is normalised: CR and LF dropped, bytes 32-126 kept, the Swedish letters mapped to
   their 7-bit national variants (É→@, Ä→[, Ö→\\, Å→], Ü→^, é→`, ä→{, ö→|, å→}, ü→~), and any
   other byte replaced by 0xC3;
3. HMAC-SHA256 over that, and the first 16 bytes as 32 upper-case hex characters.

The record layout of the delivery seal (TK00 opening record, TK99 closing record) comes from the
table of contents of Bankgirot's "Förändringsskydd med sigill" manual; the field positions are our
assumption, written down in docs/autogiro.md, because that manual was not available:

    TK00  1-2 "00"   3-8 write date YYMMDD   9-12 "HMAC"   13-80 blank
    TK99  1-2 "99"   3-8 write date YYMMDD   9-40 key verification value (32)
          41-72 seal (32)   73-80 blank

The seal covers every record from TK00 up to and including the record before TK99; the key
verification value is the HMAC of the eight characters "00000000" (Bankgirot's test case 1A),
which lets Bankgirot tell a wrong key from a changed file.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date

from billing.domain.errors import FieldError

TEST_KEY = "1234567890ABCDEF1234567890ABCDEF"  # Bankgirot's published test key (manual §4.1)

_NATIONAL = {
    0xC9: ord("@"),  # É
    0xC4: ord("["),  # Ä
    0xD6: ord("\\"),  # Ö
    0xC5: ord("]"),  # Å
    0xDC: ord("^"),  # Ü
    0xE9: ord("`"),  # é
    0xE4: ord("{"),  # ä
    0xF6: ord("|"),  # ö
    0xE5: ord("}"),  # å
    0xFC: ord("~"),  # ü
}
_REPLACEMENT = 0xC3


class SealError(FieldError):
    """A key or a sealed file is not acceptable; `field` names the part and `reason` says why."""


def normalise(data: bytes) -> bytes:
    """The bytes the seal is computed over (see the module docstring)."""
    out = bytearray()
    for byte in data:
        if byte in (0x0D, 0x0A):
            continue
        if 32 <= byte <= 126:
            out.append(byte)
        else:
            out.append(_NATIONAL.get(byte, _REPLACEMENT))
    return bytes(out)


def _key_bytes(key_hex: str) -> bytes:
    if len(key_hex) != 32:
        raise SealError("key", f"an HMAC seal key is 32 hex characters, got {len(key_hex)}")
    try:
        return bytes.fromhex(key_hex)
    except ValueError:
        raise SealError("key", "an HMAC seal key is hexadecimal") from None


def compute_seal(data: bytes, key_hex: str) -> str:
    """The 32-character seal of `data` (Latin-1 bytes) under `key_hex`."""
    digest = hmac.new(_key_bytes(key_hex), normalise(data), hashlib.sha256).digest()
    return digest[:16].hex().upper()


def key_verification_value(key_hex: str) -> str:
    """The key verification value (KVV) written in TK99: the seal of "00000000"."""
    return compute_seal(b"00000000", key_hex)


def seal_file(content: bytes, key_hex: str, write_date: date) -> bytes:
    """Wrap a Latin-1, CRLF request file in the TK00/TK99 delivery seal."""
    stamp = write_date.strftime("%y%m%d")
    body = content if content.endswith(b"\r\n") or not content else content + b"\r\n"
    opening = f"00{stamp}HMAC".ljust(80).encode("latin-1") + b"\r\n"
    sealed_part = opening + body
    seal = compute_seal(sealed_part, key_hex)
    closing = f"99{stamp}{key_verification_value(key_hex)}{seal}".ljust(80).encode("latin-1") + b"\r\n"
    return sealed_part + closing


@dataclass(frozen=True)
class SealCheck:
    """What `verify_sealed_file` found: the seal and KVV written, and whether they match the key."""

    written_seal: str
    written_kvv: str
    seal_ok: bool
    kvv_ok: bool


def verify_sealed_file(content: bytes, key_hex: str) -> SealCheck:
    """Check a TK00/TK99-sealed file against `key_hex`."""
    lines = content.split(b"\r\n") if b"\r\n" in content else content.split(b"\n")
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines or not lines[0].startswith(b"00") or lines[0][8:12] != b"HMAC":
        raise SealError("TK00", "the file does not start with an HMAC seal opening record")
    if not lines[-1].startswith(b"99"):
        raise SealError("TK99", "the file does not end with a seal closing record")
    closing = lines[-1].decode("latin-1").ljust(80)
    written_kvv, written_seal = closing[8:40], closing[40:72]
    sealed_part = b"".join(line + b"\r\n" for line in lines[:-1])
    return SealCheck(
        written_seal=written_seal,
        written_kvv=written_kvv,
        seal_ok=hmac.compare_digest(written_seal, compute_seal(sealed_part, key_hex)),
        kvv_ok=hmac.compare_digest(written_kvv, key_verification_value(key_hex)),
    )
