"""BgMax on the local stack, as AWS would run it: a file put into the inbox and imported.

`python -m infra.local_bgmax --tenant T FILE` puts a BgMax file into `bgmax/inbox/<tenant>/` of the
local pages bucket and invokes BgMaxImportFunction with the EventBridge "Object Created" event S3
would send (the local stack fires no events by itself), then prints what the import did.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from infra.local_lambda import add_base_url_argument, local_functions_env, put_in_inbox


def import_file(tenant_id: str, name: str, body: bytes, bucket: str) -> Any:
    return put_in_inbox("BgMaxImportFunction", f"bgmax/inbox/{tenant_id}/{name}", body, bucket)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.local_bgmax", description=__doc__)
    parser.add_argument("--tenant", default="demo")
    parser.add_argument("file", type=Path)
    add_base_url_argument(parser)
    args = parser.parse_args(argv)
    env = local_functions_env(args.base_url)
    result = import_file(args.tenant, args.file.name, args.file.read_bytes(), env["PAGES_BUCKET"])
    print(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
