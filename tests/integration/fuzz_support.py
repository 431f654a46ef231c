"""Mutated API Gateway requests for the fuzz test (tests/integration/test_fuzz_routes.py).

Each request starts from a valid one (a real page token, a real form, a real signed Stripe event) and
changes one to three things at random, seeded so a failure can be replayed: the path parameters, the
headers, the query, the body's bytes (flips, non-UTF-8, truncation, repetition, huge numbers, deep
nesting, dates that do not exist), the base64 flag. The handler is called in this process with the
payload-format-2.0 event API Gateway would send, against the session's local stack: no sockets
between the request and the handler, so ten thousand requests per route take seconds, not minutes.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import logging
import random
import traceback
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from infra.local_lambda import LambdaContext, http_api_event

NASTY_TEXT = [
    "",
    " ",
    "\x00",
    "%00",
    "%zz",
    "%ff%fe",
    "../../etc/passwd",
    "ä😀\u202e",
    "\ud800",
    "9" * 5000,
    "-1",
    "1e999",
    "NaN",
    "2026-02-30",
    "99999-01-01",
    "0000-00-00",
    "<script>alert(1)</script>",
    "a" * 70_000,
    "[" * 2000,
    '{"a":' * 500,
]
NASTY_BYTES = [b"\xff", b"\xfe\xff", b"\x00", b"\xc3", b"\xed\xa0\x80", b"%", b"&", b"=", b"\r\n", b"\\u0000"]
MAX_BODY = 64 * 1024
CONTENT_TYPES = [
    None,
    "application/x-www-form-urlencoded",
    "application/json",
    "text/plain; charset=latin-1",
    "multipart/form-data; boundary=x",
    "application/octet-stream",
    "\x00garbage",
]


@dataclass
class Seed:
    """A valid request of one route: what each mutation starts from."""

    method: str
    path: str  # with {param} placeholders
    params: dict[str, str]
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    query: str = ""
    # Signs a (mutated) body as Stripe would: the signed half of the webhook's requests.
    sign: Callable[[bytes], str] | None = None
    # The page token: the first `deep` requests keep it (they reach the invoice, its store, render,
    # S3, SES and the Stripe stand-in); the rest carry one no invoice can have (a character a token
    # never contains), answered before any look-up, so they test everything up to it by the thousand.
    token_param: str | None = None
    deep: int = 0


def _mutate_text(rnd: random.Random, value: str) -> str:
    choice = rnd.randrange(6)
    if choice == 0:
        return rnd.choice(NASTY_TEXT)
    if choice == 1 and value:
        i = rnd.randrange(len(value))
        return value[:i] + chr(rnd.randrange(32, 0x2FF)) + value[i + 1 :]
    if choice == 2:
        return value + rnd.choice(NASTY_TEXT)
    if choice == 3:
        return value[: rnd.randrange(len(value) + 1)]
    if choice == 4:
        return value * rnd.randrange(2, 200)
    return value.upper() if rnd.random() < 0.5 else value[::-1]


def _mutate_bytes(rnd: random.Random, body: bytes) -> bytes:
    choice = rnd.randrange(8)
    data = bytearray(body)
    if choice == 0 and data:
        for _ in range(rnd.randrange(1, 4)):
            data[rnd.randrange(len(data))] ^= 1 << rnd.randrange(8)
        return bytes(data)
    if choice == 1:
        i = rnd.randrange(len(data) + 1)
        return bytes(data[:i]) + rnd.choice(NASTY_BYTES) + bytes(data[i:])
    if choice == 2:
        return bytes(data[: rnd.randrange(len(data) + 1)])
    if choice == 3:
        return bytes(data) * rnd.randrange(2, 30)
    if choice == 4:
        # a form or JSON value replaced by something nasty
        text = body[:MAX_BODY].decode("utf-8", "replace")
        for sep in ("=", '": '):
            i = text.find(sep, rnd.randrange(len(text) + 1))
            if i == -1:
                i = text.find(sep)
            if i != -1:
                i += len(sep)
                j = i + rnd.randrange(0, 12)
                return (text[:i] + rnd.choice(NASTY_TEXT) + text[j:]).encode("utf-8", "surrogatepass")
        return bytes(data) + rnd.choice(NASTY_TEXT).encode("utf-8", "surrogatepass")
    if choice == 5:
        return rnd.choice([b"", b"{}", b"[]", b"null", b"1" * 100, b"\xff" * 50, b"a=1&" * 5000])
    if choice == 6:
        # numbers: huge, negative, fractional, exponent
        text = body[:MAX_BODY].decode("utf-8", "replace")
        for k in range(rnd.randrange(len(text) + 1), len(text)):
            if text[k].isdigit():
                replacement = rnd.choice(["9" * 40, "-1", "1e308", "1.5", "1e999", "-0"])
                return (text[:k] + replacement + text[k + 1 :]).encode("utf-8", "surrogatepass")
        return bytes(data)
    depth = rnd.randrange(10, 3000)
    return b'{"a":' * depth + b"1" + b"}" * depth


def requests(seed: Seed, count: int, rnd: random.Random) -> Iterator[tuple[dict[str, Any], str]]:
    """`count` mutated API Gateway events for `seed`, each with a short description of its mutations."""
    for n in range(count):
        params = dict(seed.params)
        if seed.token_param and n >= seed.deep:
            token = params[seed.token_param]
            i = rnd.randrange(len(token) + 1)
            params[seed.token_param] = token[:i] + rnd.choice(" .~%äЖ/\x00") + token[i:]
        headers = dict(seed.headers)
        body = seed.body
        query = seed.query
        base64_flag: bool | None = None
        what = []
        for _ in range(rnd.randrange(1, 4)):
            kind = rnd.randrange(6)
            if kind == 0 and params:
                name = rnd.choice(sorted(params))
                params[name] = _mutate_text(rnd, params[name])
                what.append(f"param:{name}")
            elif kind in (1, 2):
                body = _mutate_bytes(rnd, body)
                what.append("body")
            elif kind == 3:
                name = rnd.choice(["content-type", "accept", "stripe-signature", "cookie", "x-forwarded-for"])
                if name == "content-type":
                    value = rnd.choice(CONTENT_TYPES)
                    if value is None:
                        headers.pop(name, None)
                    else:
                        headers[name] = value
                else:
                    headers[name] = _mutate_text(rnd, headers.get(name, "application/json"))
                what.append(f"header:{name}")
            elif kind == 4:
                query = _mutate_text(rnd, query or "a=1")
                what.append("query")
            else:
                base64_flag = rnd.random() < 0.7
                what.append(f"base64:{base64_flag}")
        if len(body) > MAX_BODY:
            # Past this size a body tells us nothing new, only slower; one in a hundred stays huge.
            body = body if rnd.random() < 0.01 else body[:MAX_BODY]
        if seed.sign is not None and rnd.random() < 0.5:
            headers["stripe-signature"] = seed.sign(body)
            what.append("signed")
        path = seed.path
        for name, value in params.items():
            path = path.replace("{" + name + "}", value)
        event = http_api_event(
            method=seed.method,
            raw_path=path,
            route_key=f"{seed.method} {seed.path}",
            path_parameters=params,
            headers={k: v for k, v in headers.items() if _latin1(v)},
            query=query if _latin1(query) else "",
            body=body,
        )
        if base64_flag is not None:
            if base64_flag and not event["isBase64Encoded"]:
                raw = body if rnd.random() < 0.8 else body + b"!not base64"
                event["body"] = (
                    base64.b64encode(raw).decode()
                    if not raw.endswith(b"!not base64")
                    else "%%%" + raw.decode("latin-1")
                )
                event["isBase64Encoded"] = True
            elif not base64_flag:
                event["isBase64Encoded"] = False
                event["body"] = body.decode("latin-1") if body else None
        yield event, ",".join(what)


def _latin1(value: str) -> bool:
    # HTTP carries header values as bytes; API Gateway hands over only what arrived.
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


@dataclass
class FuzzReport:
    sent: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)  # failure class -> count
    examples: dict[str, str] = field(default_factory=dict)  # failure class -> one request's mutations


def fuzz(
    handler: Callable[[dict[str, Any], Any], Any],
    function_name: str,
    seed: Seed,
    count: int,
    rnd: random.Random,
    on_answer: Callable[[dict[str, Any], dict[str, Any]], None] | None = None,
) -> FuzzReport:
    """Send `count` mutated requests to `handler`; a 5xx or an exception is a failure, classed by the
    status or by the exception's type and the place in our code it came from."""
    report = FuzzReport()
    billing_logger = logging.getLogger("billing")
    level = billing_logger.level
    billing_logger.setLevel(logging.CRITICAL)  # ten thousand refusals need no log lines
    try:
        with contextlib.redirect_stdout(io.StringIO()) as sink, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Powertools warns of every invocation without a metric
            for event, what in requests(seed, count, rnd):
                report.sent += 1
                try:
                    answer = handler(event, LambdaContext(function_name=function_name))
                    status = int(answer.get("statusCode", 200))
                except Exception as exc:  # an exception is a 500 from API Gateway
                    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/billing/" in f.filename]
                    where = (
                        f"{frames[-1].filename.rsplit('/billing/', 1)[1]}:{frames[-1].lineno}"
                        if frames
                        else "?"
                    )
                    klass = f"{type(exc).__name__} at {where}"
                    report.failures[klass] += 1
                    report.examples.setdefault(klass, what)
                    report.statuses[500] += 1
                    continue
                report.statuses[status] += 1
                if status >= 500:
                    klass = f"HTTP {status}"
                    report.failures[klass] += 1
                    report.examples.setdefault(klass, what)
                elif on_answer is not None:
                    on_answer(event, answer)
                sink.seek(0)
                sink.truncate()  # metrics' EMF lines
    finally:
        billing_logger.setLevel(level)
    return report


def describe(reports: dict[str, FuzzReport]) -> str:
    lines = []
    for route, report in reports.items():
        lines.append(f"{route}: {report.sent} sent, statuses {dict(sorted(report.statuses.items()))}")
        for klass, n in report.failures.most_common():
            lines.append(f"  {n} x {klass} (e.g. {report.examples[klass]})")
    return "\n".join(lines)


def json_body(value: Any) -> bytes:
    return json.dumps(value).encode()
