"""A real local HTTP server for webhook tests, with scripted answers per path."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int
    at: float

    def json(self) -> Any:
        return orjson.loads(self.body)


@dataclass
class Receiver:
    """``script[path]`` is consumed one answer per request: an HTTP status, or ``"sleep:S"``
    (answer 200 after S seconds, to make the client time out; recorded with status 0). Then
    200 for ever, or the path's ``always`` status."""

    url: str = ""
    script: dict[str, list[int | str]] = field(default_factory=dict)
    always: dict[str, int | str] = field(default_factory=dict)
    delay_s: float = 0.0  # before every answer
    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, path: str) -> int | str:
        with self.lock:
            if self.script.get(path):
                return self.script[path].pop(0)
            return self.always.get(path, 200)

    def received(self, path: str, status: int = 200) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.path == path and r.status == status]

    def wait_for(self, path: str, n: int, timeout: float = 30.0) -> list[Request]:
        deadline = time.monotonic() + timeout
        while len(got := self.received(path)) < n and time.monotonic() < deadline:
            time.sleep(0.05)
        return got


@contextmanager
def webhook_server() -> Iterator[Receiver]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            answer = receiver.answer(self.path)
            status = answer if isinstance(answer, int) else 200
            recorded = 0 if isinstance(answer, str) else status  # 0: the client will time out
            with receiver.lock:  # recorded on arrival
                receiver.requests.append(
                    Request(self.path, dict(self.headers), body, recorded, time.monotonic())
                )
            time.sleep(receiver.delay_s)
            if isinstance(answer, str):
                time.sleep(float(answer.split(":")[1]))
            try:
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"nope")
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                pass

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
