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


_REFUSED = {
    "forged": "the signature does not match this body and timestamp",
    "stale": "the signed timestamp is outside the tolerance window (a replay?)",
}


class LocalReceiver:
    def __init__(
        self,
        port: int = 0,
        secret: str | None = None,
        on_receive: Callable[[Received], None] | None = None,
    ) -> None:
        self.received: list[Received] = []
        # Requests answered 2xx without acting again (an alert id seen before), and refused.
        self.duplicates = 0
        self.refused: dict[str, int] = {"forged": 0, "stale": 0}
        self._lock = threading.Lock()
        verifier = payloads.WebhookVerifier(secret) if secret else None
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
                verdict = verifier.check(dict(self.headers), raw) if verifier and signed else None
                if verdict in _REFUSED:
                    with receiver._lock:
                        receiver.refused[str(verdict)] += 1
                    self._answer(401, _REFUSED[str(verdict)])
                    return
                if verdict == "duplicate":  # already in hand: 2xx, so the sender stops
                    with receiver._lock:
                        receiver.duplicates += 1
                    self._answer(200, "duplicate: already received", replayed=True)
                    return
                item = Received(self.path, body, None if verdict is None else True)
                with receiver._lock:
                    receiver.received.append(item)
                self.send_response(200)
                self.end_headers()
                if on_receive:
                    on_receive(item)

            def _answer(self, status: int, text: str, replayed: bool = False) -> None:
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                if replayed:
                    self.send_header("Idempotent-Replayed", "true")
                self.end_headers()
                self.wfile.write(data)

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
