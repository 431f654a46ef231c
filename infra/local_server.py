"""A local stand-in for CloudFront + API Gateway: one HTTP server on 127.0.0.1.

- `GET /i/<token>` (and anything else under /i/) is served from the local pages bucket, as CloudFront
  serves it from S3 on AWS, with the same security headers the template's response-headers policy sets.
- Every HttpApi route in template.yaml is mapped to its function's handler and invoked with an HTTP
  API payload format 2.0 event, so a browser can follow the emailed link and post the page's forms.
- A route whose function sends to a queue another function consumes (the Stripe webhook queues
  events for their processor) has that queue delivered to its consumer, as Lambda's event source
  mapping would, before the answer goes out: on AWS that happens a moment later; here the caller (a
  test, the stand-in's Checkout page, the demo) sees the effect as soon as the call returns.
"""

from __future__ import annotations

import base64
import os
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from infra.local_lambda import LambdaContext, handler_for, http_api_event, lambda_output
from infra.template import Tag, http_api_routes, queues_fed_by, resources_of_type, shared_template


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: str
    pattern: re.Pattern[str]


def _compile(path: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", path)
    regex = "".join(
        f"(?P<{p[1:-1].rstrip('+')}>.+)"
        if p.endswith("+}")
        else f"(?P<{p[1:-1]}>[^/]+)"
        if p.startswith("{")
        else re.escape(p)
        for p in parts
    )
    return re.compile(f"^{regex}$")


def load_routes() -> list[Route]:
    return [Route(m, p, h, _compile(p)) for m, p, h in http_api_routes(shared_template())]


AWS_API_ORIGIN = "https://${HttpApi}.execute-api.${AWS::Region}.amazonaws.com"


def page_csp_template() -> str:
    policy = resources_of_type(shared_template(), "AWS::CloudFront::ResponseHeadersPolicy")[
        "PagesHeadersPolicy"
    ]
    csp = policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"][
        "ContentSecurityPolicy"
    ]
    value = csp["ContentSecurityPolicy"]
    return str(value.value if isinstance(value, Tag) else value)


def _security_headers(api_base_url: str, extra_form_action: str = "") -> dict[str, str]:
    # The CSP is the template's own (PagesHeadersPolicy), with the local API origin in place of
    # API Gateway's, so a page that breaks the policy on AWS breaks it here too.
    csp = page_csp_template().replace(AWS_API_ORIGIN, api_base_url)
    if extra_form_action:
        csp = csp.replace("form-action 'self'", f"form-action 'self' {extra_form_action}")
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
    }


class LocalServer:
    def __init__(self, *, s3: Any, bucket: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self.s3 = s3
        self.bucket = bucket
        self.routes = load_routes()
        self._handlers: dict[str, Any] = {}
        self._httpd = ThreadingHTTPServer((host, port), self._request_handler())
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def _handler(self, path: str) -> Any:
        if path not in self._handlers:
            import importlib

            module_name, attr = path.rsplit(".", 1)
            with lambda_output():
                self._handlers[path] = getattr(importlib.import_module(module_name), attr)
        return self._handlers[path]

    def _request_handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet: the demo prints its own
                return

            def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _dispatch(self) -> None:
                path, _, query = self.path.partition("?")
                if self.command in ("GET", "HEAD") and path.startswith("/i/"):
                    return self._serve_page(path)
                for route in server.routes:
                    match = route.pattern.match(path)
                    if match and route.method == self.command:
                        return self._invoke(route, path, query, match.groupdict())
                self._send(404, {"Content-Type": "text/plain; charset=utf-8"}, b"Not found")

            def _serve_page(self, path: str) -> None:
                key = path.lstrip("/")
                try:
                    obj = server.s3.get_object(Bucket=server.bucket, Key=key)
                except server.s3.exceptions.NoSuchKey:
                    return self._send(404, {"Content-Type": "text/plain; charset=utf-8"}, b"Not found")
                headers = {
                    "Content-Type": obj.get("ContentType", "application/octet-stream"),
                    "Cache-Control": obj.get("CacheControl", "no-cache"),
                    **_security_headers(server.api_base_url, os.environ.get("STRIPE_API_BASE", "")),
                }
                self._send(200, headers, obj["Body"].read())

            def _invoke(self, route: Route, path: str, query: str, params: dict[str, str]) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                event = http_api_event(
                    method=self.command,
                    raw_path=path,
                    route_key=f"{route.method} {route.path}",
                    path_parameters=params,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    query=query,
                    body=body,
                    source_ip=self.client_address[0],
                )
                handler = server._handler(route.handler)
                function_name = route.handler.split(".")[-2]
                with lambda_output():
                    response = handler(event, LambdaContext(function_name=function_name))
                server.deliver_queues_fed_by(route.handler)
                status = int(response.get("statusCode", 200))
                headers = {k: str(v) for k, v in (response.get("headers") or {}).items()}
                for cookie in response.get("cookies") or []:
                    headers["Set-Cookie"] = cookie
                raw = response.get("body") or ""
                payload = base64.b64decode(raw) if response.get("isBase64Encoded") else raw.encode("utf-8")
                self._send(status, headers, payload)

            def do_GET(self) -> None:
                self._dispatch()

            def do_HEAD(self) -> None:
                self._dispatch()

            def do_POST(self) -> None:
                self._dispatch()

        return Handler

    api_base_url = ""

    def deliver_queues_fed_by(self, handler: str) -> None:
        deliver_queues_fed_by(handler)

    def start(self) -> LocalServer:
        self.api_base_url = self.url
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="local-server", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.api_base_url = self.url
        self._httpd.serve_forever()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


# Messages a failed delivery released come back at once (deliver_batches sets them visible again).
LOCAL_VISIBILITY_TIMEOUT = 30


def deliver_queues_fed_by(handler: str) -> None:
    """Deliver every queue the function behind `handler` sends to, to its consuming function, in
    batches as Lambda's SQS event source mapping does, until nothing is visible or in flight."""
    import boto3

    from billing.cli.run import deliver_batches

    for queue, consumer in queues_fed_by(shared_template(), handler):
        sqs = boto3.client("sqs")
        url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
        worker_handler = handler_for(consumer)

        def worker(event: dict[str, Any], name: str = consumer, run: Any = worker_handler) -> Any:
            with lambda_output():
                try:
                    return run(event, LambdaContext(function_name=name))
                except Exception:
                    # A function error (Powertools raises when every record failed): Lambda returns
                    # the whole batch to the queue, which delivers it again.
                    return {
                        "batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"]]
                    }

        deliver_batches(sqs, url, worker, visibility_timeout=LOCAL_VISIBILITY_TIMEOUT, deadline_s=120)
