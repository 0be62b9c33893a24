"""The S3 + SQS emulator: moto's server app on a threaded werkzeug server, bound to loopback,
quiet; with the CloudFront KeyValueStore API of the token store in front of it
(`pyshelf.local.kvs_api`)."""

from __future__ import annotations

import logging
import socket
import threading

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
from pyshelf.local.kvs_api import KeyValueStoreApi


class EmulatorError(PyshelfError, RuntimeError):
    """The emulator could not start (usually: the port is taken)."""


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
        if self.requested_port:
            ensure_free(self.host, self.requested_port)
        app = KeyValueStoreApi(
            DomainDispatcherApplication(create_backend_app), LOCAL_KVS_ARN, self.key_value_store
        )
        server = make_server(
            self.host, self.requested_port, app, threaded=True, request_handler=MotoRequestHandler
        )
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


def ensure_free(host: str, port: int) -> None:
    """Fail early and clearly: binding later would fail with a less specific message."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise EmulatorError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
