"""A real local HTTP server that answers Slack's external file upload flow as Slack documents it
(files.getUploadURLExternal, POST to the upload URL, files.completeUploadExternal), so the
report's upload is tested over HTTP without reaching slack.com."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import orjson


@dataclass
class SlackApi:
    url: str = ""
    token: str = "xoxb-test"
    uploads: dict[str, bytes] = field(default_factory=dict)
    completed: list[dict[str, Any]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    fail_next: list[str] = field(default_factory=list)  # Slack error codes to answer first
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def slack_api() -> Iterator[SlackApi]:
    api = SlackApi()

    class Handler(BaseHTTPRequestHandler):
        def _json(self, body: dict[str, Any]) -> None:
            data = orjson.dumps(body)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with api.lock:
                api.calls.append(self.path)
                failing = api.fail_next.pop(0) if api.fail_next else None
            if self.path.startswith("/upload/"):
                with api.lock:
                    api.uploads[self.path.rsplit("/", 1)[1]] = raw
                self.send_response(200)
                self.end_headers()
                return
            if self.headers.get("Authorization") != f"Bearer {api.token}":
                self._json({"ok": False, "error": "invalid_auth"})
                return
            if failing:
                self._json({"ok": False, "error": failing})
                return
            if self.path == "/api/files.getUploadURLExternal":
                form = parse_qs(raw.decode())
                file_id = f"F{len(api.calls)}"
                self._json(
                    {
                        "ok": True,
                        "upload_url": f"{api.url}/upload/{file_id}",
                        "file_id": file_id,
                        "length": int(form["length"][0]),
                    }
                )
            elif self.path == "/api/files.completeUploadExternal":
                with api.lock:
                    api.completed.append(orjson.loads(raw))
                self._json({"ok": True, "files": []})
            else:
                self._json({"ok": False, "error": "unknown_method"})

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    api.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
