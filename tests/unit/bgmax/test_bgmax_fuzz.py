"""5,000 mutated BgMax files: each parses or fails with one line naming line and field; never another
exception, and never a silently shorter result (every non-blank line is a record or a warning).

The mutations are drawn from a fixed seed (so a failure is reproducible) over our own file and, when
the shared folder is there, Bankgirot's examples: bytes changed, inserted and deleted; lines dropped,
duplicated, swapped, cut and padded; digits changed inside numeric fields; line ends changed.
"""

from __future__ import annotations

import random

from bgmax_examples import EXAMPLES, own_file

from billing.domain.bgmax.parser import BgMaxParseError, parse_bgmax

MUTATIONS = 5000
SEEDS = [own_file(), *(sorted(p.read_bytes() for p in EXAMPLES.glob("*.txt")) if EXAMPLES.is_dir() else [])]
ALPHABET = b"0123456789 ABCTPSEKz\t\r\n\xe5\xe4\xf6,-"


def _non_blank_lines(data: bytes) -> int:
    """Counted the way FORMAT.md §5 describes line forms, independently of the parser."""
    text = data.decode("latin-1")
    if "\r" not in text and "\n" not in text and text and len(text) % 80 == 0:
        chunks = [text[i : i + 80] for i in range(0, len(text), 80)]
    else:
        chunks = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return sum(1 for chunk in chunks if chunk.expandtabs(8).strip())


def _mutate(rng: random.Random, data: bytes) -> bytes:
    lines = data.split(b"\r\n")
    kind = rng.randrange(9)
    if kind == 0:  # change bytes
        buf = bytearray(data)
        for _ in range(rng.randint(1, 3)):
            buf[rng.randrange(len(buf))] = rng.choice(ALPHABET)
        return bytes(buf)
    if kind == 1:  # change one digit of a numeric-looking position
        buf = bytearray(data)
        digits = [i for i, b in enumerate(buf) if 48 <= b <= 57]
        i = rng.choice(digits)
        buf[i] = 48 + (buf[i] - 48 + rng.randint(1, 9)) % 10
        return bytes(buf)
    if kind == 2:  # drop a line
        del lines[rng.randrange(len(lines))]
    elif kind == 3:  # duplicate a line
        i = rng.randrange(len(lines))
        lines.insert(i, lines[i])
    elif kind == 4:  # swap two lines
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == 5:  # cut a line short or pad it long
        i = rng.randrange(len(lines))
        lines[i] = (
            lines[i][: rng.randrange(81)]
            if rng.random() < 0.5
            else lines[i] + b" " * rng.randint(1, 5) + rng.choice([b"", b"x"])
        )
    elif kind == 6:  # insert or delete bytes (shifts every later position of the line)
        buf = bytearray(data)
        i = rng.randrange(len(buf))
        if rng.random() < 0.5:
            del buf[i : i + rng.randint(1, 3)]
        else:
            buf[i:i] = bytes(rng.choice(ALPHABET) for _ in range(rng.randint(1, 3)))
        return bytes(buf)
    elif kind == 7:  # another line end, or none at all
        return data.replace(b"\r\n", rng.choice([b"\n", b"\r", b"", b"\r\n\r\n"]))
    else:  # truncate the file
        return data[: rng.randrange(len(data))]
    return b"\r\n".join(lines)


def test_five_thousand_mutations() -> None:
    rng = random.Random(20261204)
    parsed_count = refused = 0
    for n in range(MUTATIONS):
        data = _mutate(rng, rng.choice(SEEDS))
        try:
            parsed = parse_bgmax(data)
        except BgMaxParseError as error:
            # A refusal is one line naming the line and the field
            message = str(error)
            assert "\n" not in message and message.startswith(f"line {error.line_no}: "), (n, message)
            assert error.field and error.reason, n
            refused += 1
            continue
        # A parse accounts for every non-blank line: a record, or a warning about an ignored one
        ignored = sum(1 for w in parsed.warnings if w.message.startswith("unknown record type"))
        assert parsed.records_read + ignored == _non_blank_lines(data), n
        # and its deposits still add up (the parser would have refused otherwise)
        for deposit in parsed.deposits:
            assert deposit.amount == sum(p.signed_amount for p in deposit.payments), n
        parsed_count += 1
    assert parsed_count + refused == MUTATIONS
    # Both outcomes occur: the mutations reach past the first checks
    assert parsed_count > 100 and refused > 1000, (parsed_count, refused)
