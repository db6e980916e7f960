"""A local webhook receiver that checks signatures: the demo's on-call endpoint, and
``agentgauge alerts receive`` for trying an alerting.yaml before pointing it at real systems."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson

from alerting import payloads


@dataclass(frozen=True)
class Received:
    path: str
    body: Any
    verified: bool | None  # None: no secret given, or an unsigned (Slack/PagerDuty) payload


class LocalReceiver:
    def __init__(
        self,
        port: int = 0,
        secret: str | None = None,
        on_receive: Callable[[Received], None] | None = None,
    ) -> None:
        self.received: list[Received] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    body = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    self.send_response(400)
                    self.end_headers()
                    return
                signed = payloads.SIGNATURE_HEADER in self.headers
                verified = (
                    payloads.verify(secret, dict(self.headers), raw) if secret and signed else None
                )
                if verified is False:
                    self.send_response(401)  # a forged or stale signature is refused
                    self.end_headers()
                    return
                item = Received(self.path, body, verified)
                with receiver._lock:
                    receiver.received.append(item)
                self.send_response(200)
                self.end_headers()
                if on_receive:
                    on_receive(item)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def __enter__(self) -> LocalReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
