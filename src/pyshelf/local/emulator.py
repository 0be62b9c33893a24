"""The S3 + SQS emulator: moto's server app on a threaded werkzeug server, bound to loopback,
quiet; with the CloudFront KeyValueStore API of the token store in front of it
(`pyshelf.local.kvs_api`), and a guard in front of both (`LocalOnly`).

Any web page the user opens can send requests to 127.0.0.1: a simple cross-origin POST goes out
without a preflight, moto answers CORS for any origin, accepts unsigned form uploads and bulk
deletes, and serves its own `/moto-api/` (reset: wipe everything). The guard refuses, before
moto sees them: `/moto-api/...` (404); a request whose `Origin` is not the emulator's own
(403); one whose `Host` is not a local name (403: a page whose DNS name was rebound to
127.0.0.1); an unsigned request (no SigV4 `Authorization` header, no presigned query) for S3 or
SQS (403). awscli, boto3 and pyshelf sign every request (with any credentials: signatures are
not checked) and send no `Origin`. The KeyValueStore API takes unsigned calls
(`pyshelf.local.kvs_api`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

from pyshelf.access.memory import MemoryKeyValueStore
from pyshelf.constants import LOCAL_KVS_ARN
from pyshelf.core.errors import PyshelfError
from pyshelf.local import moto_compat
from pyshelf.local.kvs_api import KeyValueStoreApi, StartResponse, WSGIApp, is_api_call
from pyshelf.local.ports import ensure_free

MOTO_API = "/moto-api"  # moto routes every path that starts so to its own API
SIGV4_ALGORITHMS = ("AWS4-HMAC-SHA256 ", "AWS4-ECDSA-P256-SHA256 ")  # SigV4, SigV4A
PRESIGNED_V4 = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature")
PRESIGNED_V2 = ("AWSAccessKeyId", "Signature", "Expires")  # boto3's presigned S3 URLs
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class EmulatorError(PyshelfError, RuntimeError):
    """The emulator could not start (usually: the port is taken)."""


class LocalOnly:
    """WSGI middleware: what the emulator refuses before `app` sees it (see the module doc).
    `host` is the address the emulator listens on; `listening(port)` completes its origins."""

    def __init__(self, app: WSGIApp, host: str) -> None:
        self.app = app
        self.host = host
        self.origins: frozenset[str] = frozenset()

    def listening(self, port: int) -> None:
        names = {self.host, "localhost"} if self.host in LOOPBACK else {self.host}
        self.origins = frozenset(f"http://{name}:{port}" for name in names)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        refusal = self.refusal(environ)
        if refusal is None:
            return self.app(environ, start_response)
        status, message = refusal
        body = f"pyshelf serve: {message}\n".encode()
        start_response(
            status,
            [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
        )
        return [body]

    def refusal(self, environ: dict[str, Any]) -> tuple[str, str] | None:
        """(status line, reason) of a refused request; None to let it through."""
        if str(environ.get("PATH_INFO", "")).startswith(MOTO_API):
            return "404 Not Found", "moto's own API (/moto-api/) is not served"
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None and origin not in self.origins:
            return "403 Forbidden", (
                f"a request from the web page of {origin} is refused "
                "(the emulator takes requests from AWS clients, not browsers)"
            )
        if not self._local_name(str(environ.get("HTTP_HOST", self.host))):
            return "403 Forbidden", "a request for another host name is refused (DNS rebinding?)"
        if not is_api_call(environ) and not _signed(environ):
            return "403 Forbidden", (
                "an unsigned request is refused: sign it with AWS Signature Version 4 "
                "(any credentials: aws, boto3 and pyshelf do)"
            )
        return None

    def _local_name(self, host: str) -> bool:
        """The Host header names this machine: the address listened on, `localhost`, or a
        name under either (a virtual-hosted bucket, the account prefix of the KeyValueStore
        API): no name a web page's DNS could point here."""
        name = host[1 : host.find("]")] if host.startswith("[") else host.rsplit(":", 1)[0]
        name = name.lower()
        local = {self.host, "localhost", *(LOOPBACK if self.host in LOOPBACK else ())}
        return name in local or name.endswith(tuple(f".{n}" for n in local))


def _signed(environ: dict[str, Any]) -> bool:
    """A SigV4 (or SigV4A) Authorization header, or a presigned URL (SigV4 or SigV2 query)."""
    if str(environ.get("HTTP_AUTHORIZATION", "")).startswith(SIGV4_ALGORITHMS):
        return True
    query = parse_qs(str(environ.get("QUERY_STRING", "")))
    return all(query.get(name) for name in PRESIGNED_V4) or all(
        query.get(name) for name in PRESIGNED_V2
    )


class Emulator:
    """moto server on (host, port); port 0 picks a free one. Use as a context manager.
    `key_value_store` is served as the KeyValueStore `LOCAL_KVS_ARN` on the same port."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 9000,
        key_value_store: MemoryKeyValueStore | None = None,
    ) -> None:
        self.host = host
        self.requested_port = port
        self.key_value_store = key_value_store or MemoryKeyValueStore()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        if self._server is None:
            raise EmulatorError("the emulator is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        # werkzeug logs every request (including SQS long polls) unless told otherwise.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        moto_compat.install()
        ensure_free(self.host, self.requested_port, "--s3-port")
        guard = LocalOnly(
            KeyValueStoreApi(
                DomainDispatcherApplication(create_backend_app),
                LOCAL_KVS_ARN,
                self.key_value_store,
            ),
            self.host,
        )
        server = make_server(
            self.host, self.requested_port, guard, threaded=True, request_handler=MotoRequestHandler
        )
        guard.listening(server.server_port)
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="pyshelf-emulator",
            daemon=True,
        )
        self._thread.start()
        self._server = server

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._server.server_close()
        self._server = self._thread = None

    def __enter__(self) -> Emulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
