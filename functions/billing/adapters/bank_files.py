"""BgMax files in S3: an operator (or the bank's file channel) puts them into the pages bucket under
`bgmax/inbox/<tenant>/<file>`, never under `i/`, the only prefix CloudFront may read (docs/bgmax.md)."""

from __future__ import annotations

from botocore.exceptions import ClientError

from billing.adapters.aws import client, translate
from billing.services.errors import PermanentError


class S3BankFiles:
    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    def read(self, key: str) -> bytes:
        try:
            body: bytes = client("s3").get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise PermanentError(f"no file {key}", field="key") from error
            raise translate(error, "reading the BgMax file") from error
        return body
