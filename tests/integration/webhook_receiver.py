"""A merchant's webhook endpoint on 127.0.0.1, as a merchant would write it: every delivery's
signature checked with the Standard Webhooks reference implementation (the `standardwebhooks`
package, not our code), a timestamp outside five minutes refused (400), and an id already seen
acknowledged (2xx, so the sender stops) but not processed again."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError


class Receiver:
    def __init__(self) -> None:
        self.secret: str | None = None
        self.events: list[dict[str, Any]] = []  # processed, once per id
        self.seen: set[str] = set()
        self.deliveries: list[tuple[dict[str, str], bytes]] = []  # every POST, as received
        self.refused = 0
        self.replays = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                status = receiver.receive({k.lower(): v for k, v in self.headers.items()}, body)
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/billing"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def receive(self, headers: dict[str, str], body: bytes) -> int:
        with self._lock:
            self.deliveries.append((headers, body))
            assert self.secret is not None
            try:
                payload = Webhook(self.secret).verify(body, headers)
            except WebhookVerificationError:
                self.refused += 1
                return 400
            msg_id = headers["webhook-id"]
            if msg_id in self.seen:
                self.replays += 1
                return 200
            assert payload["id"] == msg_id
            self.seen.add(msg_id)
            self.events.append(json.loads(body))
            return 204

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
