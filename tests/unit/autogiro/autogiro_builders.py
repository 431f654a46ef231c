"""Builders for Autogiro test lines: place values at the manual's 1-based positions."""

from __future__ import annotations


def record(*fields: tuple[int, str]) -> str:
    """An 80-position line with each value written from its 1-based start position."""
    line = [" "] * 80
    for start, value in fields:
        for offset, char in enumerate(value):
            line[start - 1 + offset] = char
    return "".join(line)


def report_opening(
    content: str, write_date: str = "20260115", customer: str = "123456", bg: str = "58056201"
) -> str:
    """New-layout TK01 of a report."""
    return record((1, "01AUTOGIRO"), (25, write_date), (45, content), (65, customer), (71, bg.rjust(10, "0")))


def file_text(*lines: str) -> str:
    return "".join(line + "\r\n" for line in lines)
