"""The local CDN: an HTTP server that routes each request like the CloudFront Function
(`pyshelf.core.edge_auth.route_viewer`: the token check of a private index, the fall-through of
names that are not private to an upstream, then `pyshelf.core.routing`) and serves the key from
the emulated S3 (`origin`); every answer, its own or the origin's, carries the deployment's
security headers (`origin.security_headers`, by the viewer's path as CloudFront's behaviours)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pyshelf.constants import PAGE_VARY
from pyshelf.core.edge_auth import EdgeSettings, TokenStore, route_viewer
from pyshelf.core.routing import Answer, Forward, Request
from pyshelf.local.accesslog import AccessLog, Entry
from pyshelf.local.origin import OriginError, OriginResponse, fetch, security_headers
from pyshelf.local.ports import taken

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = logging.getLogger(__name__)
_REASONS = {
    301: "Moved Permanently",
    307: "Temporary Redirect",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    502: "Bad Gateway",
}
PUBLIC = EdgeSettings()


@dataclass(frozen=True, slots=True)
class EdgeAccess:
    """What the edge checks: the settings, the key value store of tokens and private names
    (needed when private or with an upstream) and the clock (Unix seconds) that decides expiry."""

    settings: EdgeSettings = PUBLIC
    tokens: TokenStore | None = None
    clock: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        if self.settings.access == "private" and self.tokens is None:
            raise ValueError("a private index needs a token store")
        if self.settings.upstream is not None and self.tokens is None:
            raise ValueError("falling through to an upstream needs the store of private names")


class CDNServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        *,
        s3: S3Client,
        bucket: str,
        access_log: AccessLog,
        access: EdgeAccess,
    ) -> None:
        super().__init__(address, _Handler)
        self.s3 = s3
        self.bucket = bucket
        self.access_log = access_log
        self.access = access


class CDN:
    """Serve in a background thread; port 0 picks a free port. A private index takes
    `settings=EdgeSettings("private")` and the `tokens` store, which also holds the private
    names (`project:<name>`) that settings with an `upstream` consult, public or private;
    `clock` gives Unix seconds."""

    def __init__(
        self,
        s3: S3Client,
        bucket: str,
        access_log: AccessLog,
        host: str,
        port: int,
        *,
        settings: EdgeSettings = PUBLIC,
        tokens: TokenStore | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        access = EdgeAccess(settings, tokens, clock)
        try:
            self.server = CDNServer(
                (host, port), s3=s3, bucket=bucket, access_log=access_log, access=access
            )
        except OSError as exc:
            raise taken(host, port, "--port", exc.strerror) from None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, name="pyshelf-cdn"
        )
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self.server.shutdown()
            self._thread.join()
            self._thread = None
        self.server.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: CDNServer
    protocol_version = "HTTP/1.1"
    server_version = "pyshelf-cdn"

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def _serve(self, *, head: bool) -> None:
        try:
            self._route_and_fetch(head=head)
        except Exception:
            log.exception("cdn: %s %s failed", self.command, self.path)
            self._answer(Answer(502), head=head)

    def _route_and_fetch(self, *, head: bool) -> None:
        request = _viewer_request(self.command, self.path, dict(self.headers.items()))
        access = self.server.access
        outcome = route_viewer(request, access.settings, access.tokens, access.clock())
        if isinstance(outcome, Answer):
            self._answer(outcome, head=head)
            return
        try:
            response = fetch(
                self.server.s3,
                self.server.bucket,
                outcome.key,
                head=head,
                negotiated=outcome.negotiated,
                request_headers=request.headers,
                private=access.settings.access == "private",
            )
        except OriginError as exc:
            self._error(exc, outcome, head=head)
            return
        self._send(response, outcome.key)

    def _answer(self, answer: Answer, *, head: bool) -> None:
        reason = _REASONS.get(answer.status, "")
        body = f"{answer.status} {reason}\n".encode()
        headers = [("Content-Type", "text/plain; charset=utf-8"), *answer.headers]
        if answer.location:
            headers.append(("Location", answer.location))
        self._send(
            OriginResponse(answer.status, headers, iter(() if head else (body,))), None, len(body)
        )

    def _error(self, exc: OriginError, outcome: Forward, *, head: bool) -> None:
        if exc.status == 304:
            self._send(OriginResponse(304, [], iter(())), outcome.key, 0)
            return
        body = f"{exc.status} {exc.code}\n".encode()
        headers = [("Content-Type", "text/plain; charset=utf-8")]
        if outcome.negotiated:
            headers.append(("Vary", PAGE_VARY))
        self._send(
            OriginResponse(exc.status, headers, iter(() if head else (body,))),
            outcome.key,
            len(body),
        )

    def _send(self, response: OriginResponse, key: str | None, length: int | None = None) -> None:
        self.send_response(response.status)
        for name, value in [*response.headers, *security_headers(urlsplit(self.path).path)]:
            self.send_header(name, value)
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.end_headers()
        sent = 0
        try:
            for chunk in response.chunks:
                self.wfile.write(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:  # the origin failed mid-body: the status line is gone, so just close
            log.exception("cdn: %s %s: origin failed after %d bytes", self.command, self.path, sent)
            self.close_connection = True
        self._log(response.status, sent, key)

    def _log(self, status: int, size: int, key: str | None) -> None:
        client = str(self.client_address[0])
        entry = Entry(client, self.command, self.path, self.request_version, status, size, key)
        self.server.access_log.write(entry)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Replaced by `_log`, which knows the origin key and the bytes sent."""

    def log_message(self, format: str, *args: Any) -> None:
        log.warning("cdn: " + format, *args)


def _viewer_request(method: str, target: str, headers: dict[str, str]) -> Request:
    parts = urlsplit(target)
    query: dict[str, str] = {}  # as sent, first value of each name (CloudFront's `value`)
    for pair in filter(None, parts.query.split("&")):
        name, _, value = pair.partition("=")
        query.setdefault(name, value)
    lowered = {name.lower(): value for name, value in headers.items()}
    return Request(method, parts.path or "/", lowered, query)
