"""The parser only ever returns typed records or raises a clean AutogiroParseError.

Random bytes, random record-like lines, and Bankgirot's example files with bytes changed, lines
dropped, duplicated or cut: whatever comes in, no other exception escapes.
"""

from __future__ import annotations

from autogiro_examples import EXAMPLES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.domain.autogiro.parser import AutogiroParseError, parse_file
from billing.domain.autogiro.records import AutogiroFile, to_jsonable

# Read once at import; an empty list (no shared folder) still leaves the random-input tests.
SEEDS: list[bytes] = sorted(path.read_bytes() for path in EXAMPLES.glob("*.txt")) if EXAMPLES.is_dir() else []
SEEDS.append(
    "0120260102AUTOGIRO                                            1234560058056201  \r\n"
    "82202601150    0000000000001234000000009900005805620112345674        \r\n".encode("latin-1")
)

FUZZ = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _parses_cleanly(data: bytes | str) -> None:
    try:
        parsed: AutogiroFile = parse_file(data)
    except AutogiroParseError as error:
        # Then the error names a line of the input and a field
        assert error.line_no >= 1
        assert error.field
        assert error.reason
        return
    # Then the result is a typed file that turns into JSON data
    assert to_jsonable(parsed)["kind"]


@FUZZ
@given(st.binary(max_size=2000))
def test_random_bytes(data: bytes) -> None:
    # Given random bytes; When parsed; Then records or a clean error
    _parses_cleanly(data)


_RECORD_CHARS = st.sampled_from("0123456789 AGUTORIÅÄÖåJKR-/.")
_TK = st.sampled_from(
    [
        "00",
        "01",
        "03",
        "04",
        "05",
        "09",
        "15",
        "16",
        "17",
        "23",
        "25",
        "29",
        "32",
        "51",
        "52",
        "56",
        "59",
        "73",
        "77",
        "82",
        "99",
    ]
)


@FUZZ
@given(st.lists(st.tuples(_TK, st.text(_RECORD_CHARS, max_size=90)), max_size=12))
def test_random_record_lines(lines: list[tuple[str, str]]) -> None:
    # Given lines that start like records and are filled with digits, blanks and letters
    text = "\r\n".join(tk + body for tk, body in lines)
    # When parsed; Then records or a clean error
    _parses_cleanly(text)


@FUZZ
@given(
    seed=st.sampled_from(SEEDS),
    edits=st.lists(st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255)), max_size=6),
)
def test_example_files_with_bytes_changed(seed: bytes, edits: list[tuple[int, int]]) -> None:
    # Given an example file with a few bytes overwritten
    data = bytearray(seed)
    for position, value in edits:
        if data:
            data[position % len(data)] = value
    # When parsed; Then records or a clean error
    _parses_cleanly(bytes(data))


@FUZZ
@given(seed=st.sampled_from(SEEDS), data=st.data())
def test_example_files_with_lines_shuffled_dropped_or_cut(seed: bytes, data: st.DataObject) -> None:
    # Given an example file whose lines are dropped, duplicated, reordered or truncated
    lines = seed.split(b"\r\n")
    chosen = data.draw(st.lists(st.sampled_from(lines), max_size=len(lines) + 3)) if lines else []
    cut = data.draw(
        st.lists(st.integers(min_value=0, max_value=90), min_size=len(chosen), max_size=len(chosen))
    )
    mutated = b"\r\n".join(line[:n] if n < 80 else line for line, n in zip(chosen, cut, strict=True))
    # When parsed; Then records or a clean error
    _parses_cleanly(mutated)
