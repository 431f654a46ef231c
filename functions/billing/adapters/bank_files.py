"""BgMax files in S3: an operator (or the bank's file channel) puts them into the pages bucket under
`bgmax/inbox/<tenant>/<file>`, never under `i/`, the only prefix CloudFront may read (docs/bgmax.md)."""

from __future__ import annotations

from billing.adapters.aws import read_inbox_file


class S3BankFiles:
    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    def read(self, key: str) -> bytes:
        return read_inbox_file(self.bucket, key, "BgMax file")
