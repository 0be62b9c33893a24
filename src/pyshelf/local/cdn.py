"""The local CDN: an HTTP server that routes each request like the CloudFront Function
(`pyshelf.core.edge_auth.route_viewer`: the token check of a private index, the fall-through of
names that are not private to an upstream, then `pyshelf.core.routing`) and serves the key from
the emulated S3 (`origin`); every answer, its own or the origin's, carries the deployment's
security headers (`origin.security_headers`, by the viewer's path as CloudFront's behaviours).
A key the origin does not have is answered as the distribution's custom error response does:
the human 404 page (`-/404.html`) with status 404."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pyshelf.constants import PAGE_VARY
from pyshelf.core.edge_auth import EdgeSettings, TokenStore, route_viewer
from pyshelf.core.layout import NOT_FOUND_PAGE
from pyshelf.core.routing import Answer, Forward, Request
from pyshelf.core.upload_grant import MAX_UPLOAD_BYTES, TOO_LARGE, UploadGrant, is_upload_path
from pyshelf.local.accesslog import AccessLog, Entry
from pyshelf.local.origin import OriginError, OriginResponse, fetch, security_headers
from pyshelf.local.ports import taken
from pyshelf.publish.legacy_upload import Reply, receive
from pyshelf.storage.s3 import S3Store

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = logging.getLogger(__name__)
_REASONS = {
    301: "Moved Permanently",
    307: "Temporary Redirect",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Content Too Large",
    502: "Bad Gateway",
}
DISCARD_LIMIT = 64 * 1024 * 1024
# What CloudFront answers a method its behaviours do not allow (only GET and HEAD, but on the
# upload path, whose function answers itself).
GET_OR_HEAD = Answer(
    403, reason="Only GET and HEAD here; uploads go to /-/upload/ (docs/publish.md)"
)
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

    def do_POST(self) -> None:
        self._serve(head=False)

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_POST

    def _serve(self, *, head: bool) -> None:
        try:
            if self.command in ("GET", "HEAD") or is_upload_path(urlsplit(self.path).path):
                self._route_and_fetch(head=head)
            else:
                self._discard_body()
                self._answer(GET_OR_HEAD, head=head)
        except Exception:
            log.exception("cdn: %s %s failed", self.command, self.path)
            self.close_connection = True
            self._answer(Answer(502), head=head)

    def _route_and_fetch(self, *, head: bool) -> None:
        request = _viewer_request(self.command, self.path, dict(self.headers.items()))
        access = self.server.access
        outcome = route_viewer(request, access.settings, access.tokens, access.clock())
        if isinstance(outcome, Answer):
            self._discard_body()
            self._answer(outcome, head=head)
            return
        if outcome.upload is not None:
            self._upload(UploadGrant.decode(outcome.upload), request.headers)
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

    def _discard_body(self) -> None:
        """Read a refused request's body (up to DISCARD_LIMIT), so that a client still sending
        it gets to read the answer; a larger, malformed or unsized (chunked) one closes the
        connection instead."""
        length = self.headers.get("Content-Length")
        if length is None:
            self.close_connection = self.command not in ("GET", "HEAD")
            return
        if not length.isdigit() or int(length) > DISCARD_LIMIT:
            self.close_connection = True
            return
        remaining = int(length)
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 1024 * 1024))
            if not chunk:
                break
            remaining -= len(chunk)

    def _upload(self, grant: UploadGrant | None, headers: Mapping[str, str]) -> None:
        """The upload handler behind the edge (the stack's upload Lambda), in this process.
        The edge has checked Content-Length, when sent, against the limit; a chunked body is
        read up to the limit here, as the Lambda's payload limit would stop it."""
        if grant is None:
            self.close_connection = True
            self._reply(Reply(403, "Invalid request from the edge"))
            return
        length = headers.get("content-length")
        if length is not None:
            body: bytes | None = self.rfile.read(int(length))
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            body = self._read_chunked(MAX_UPLOAD_BYTES)
        else:
            body = b""
        if body is None:
            self.close_connection = True
            self._reply(Reply(413, TOO_LARGE))
            return
        store = S3Store(self.server.s3, self.server.bucket)
        self._reply(receive(store, grant, headers.get("content-type"), body))

    def _read_chunked(self, limit: int) -> bytes | None:
        """A chunked body (RFC 9112, 7.1), or None when it is over `limit` bytes (then read
        to its end, up to DISCARD_LIMIT, so that the client gets to read the answer)."""
        body = bytearray()
        seen = 0
        while seen <= DISCARD_LIMIT:
            size_line = self.rfile.readline(1024).split(b";", 1)[0].strip()
            size = int(size_line, 16) if size_line else 0
            if size == 0:
                while self.rfile.readline(1024).strip():  # trailer fields
                    pass
                return bytes(body) if seen <= limit else None
            chunk = self.rfile.read(size)
            seen += size
            if seen <= limit:
                body += chunk
            self.rfile.readline(8)  # the CRLF after the chunk
        return None

    def _reply(self, reply: Reply) -> None:
        headers = [("Content-Type", "text/plain; charset=utf-8"), ("Cache-Control", "no-store")]
        body = reply.body
        response = OriginResponse(reply.status, headers, iter((body,)))
        self._send(response, None, len(body), reason=reply.reason)

    def _answer(self, answer: Answer, *, head: bool) -> None:
        reason = answer.reason or _REASONS.get(answer.status, "")
        body = (f"{answer.reason}\n" if answer.reason else f"{answer.status} {reason}\n").encode()
        headers = [*answer.headers]
        if not any(name == "content-type" for name, _ in headers):
            headers.insert(0, ("Content-Type", "text/plain; charset=utf-8"))
        if answer.location:
            headers.append(("Location", answer.location))
        response = OriginResponse(answer.status, headers, iter(() if head else (body,)))
        self._send(response, None, len(body), reason=answer.reason)

    def _error(self, exc: OriginError, outcome: Forward, *, head: bool) -> None:
        if exc.status == 304:
            self._send(OriginResponse(304, [], iter(())), outcome.key, 0)
            return
        if exc.status == 404 and (page := self._not_found_page(head=head)) is not None:
            self._send(page, NOT_FOUND_PAGE)
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

    def _not_found_page(self, *, head: bool) -> OriginResponse | None:
        """CloudFront's custom error response for 404: the human 404 page with status 404
        (every client gets it; pip and uv ignore a 404's body), or None before the indexer
        wrote it (then the plain answer, as CloudFront falls back to its own)."""
        try:
            page = fetch(
                self.server.s3,
                self.server.bucket,
                NOT_FOUND_PAGE,
                head=head,
                negotiated=False,
                request_headers={
                    k: v
                    for k, v in _lowered(self.headers.items()).items()
                    if k.startswith("accept")
                },
            )
        except OriginError:
            return None
        page.status = 404
        return page

    def _send(
        self,
        response: OriginResponse,
        key: str | None,
        length: int | None = None,
        reason: str | None = None,
    ) -> None:
        self.send_response(response.status, _reason_phrase(reason))
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


def _reason_phrase(reason: str | None) -> str | None:
    """A reason as a status line can carry it (printable Latin-1, no line breaks)."""
    if reason is None:
        return None
    return "".join(c if " " <= c <= "~" or "\xa0" <= c <= "\xff" else "?" for c in reason)


def _viewer_request(method: str, target: str, headers: dict[str, str]) -> Request:
    parts = urlsplit(target)
    query: dict[str, str] = {}  # as sent, first value of each name (CloudFront's `value`)
    for pair in filter(None, parts.query.split("&")):
        name, _, value = pair.partition("=")
        query.setdefault(name, value)
    return Request(method, parts.path or "/", _lowered(headers.items()), query)


def _accepts(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The Accept headers alone (no conditions: the error page is fetched whole)."""
    return {k: v for k, v in _lowered(headers).items() if k.startswith("accept")}


def _lowered(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers}
