"""An upstream index for the fall-through tests: a tiny HTTP proxy in front of another `pyshelf
serve` that records every request it gets (method, path, headers)."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

FORWARDED_REQUEST = ("accept",)
FORWARDED_RESPONSE = ("content-type", "cache-control", "location", "etag", "vary")


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, origin: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        target = urlsplit(origin)
        self.origin = (target.hostname or "", target.port or 80)
        self.seen: list[Seen] = []
        self.lock = threading.Lock()


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self._forward()

    def do_HEAD(self) -> None:
        self._forward()

    def _forward(self) -> None:
        headers = {name.lower(): value for name, value in self.headers.items()}
        with self.server.lock:
            self.server.seen.append(Seen(self.command, self.path, headers))
        sent = {name: headers[name] for name in FORWARDED_REQUEST if name in headers}
        connection = http.client.HTTPConnection(*self.server.origin, timeout=10)
        try:
            connection.request(self.command, self.path, headers=sent)
            response = connection.getresponse()
            body = response.read()
        finally:
            connection.close()
        self.send_response(response.status)
        for name in FORWARDED_RESPONSE:
            if (value := response.getheader(name)) is not None:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: `seen` is the log."""


@dataclass
class RecordingProxy:
    server: _Server

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/"

    def seen(self) -> list[Seen]:
        with self.server.lock:
            return list(self.server.seen)


@contextmanager
def recording_proxy(origin: str) -> Iterator[RecordingProxy]:
    """A proxy to `origin` (an index URL) on a free port of 127.0.0.1, serving in a thread."""
    server = _Server(origin)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        yield RecordingProxy(server)
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
