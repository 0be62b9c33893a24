"""The S3 + SQS emulator: moto's threaded server, bound to loopback, quiet."""

from __future__ import annotations

import logging
import socket

from moto.server import ThreadedMotoServer

from pyshelf.core.errors import PyshelfError
from pyshelf.local import moto_compat


class EmulatorError(PyshelfError, RuntimeError):
    """The emulator could not start (usually: the port is taken)."""


class Emulator:
    """moto server on (host, port); port 0 picks a free one. Use as a context manager."""

    def __init__(self, host: str = "127.0.0.1", port: int = 9000) -> None:
        self.host = host
        self.requested_port = port
        self._server: ThreadedMotoServer | None = None

    @property
    def endpoint(self) -> str:
        if self._server is None:
            raise EmulatorError("the emulator is not running")
        host, port = self._server.get_host_and_port()
        return f"http://{host}:{port}"

    def start(self) -> None:
        # werkzeug logs every request (including SQS long polls) unless told otherwise.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        moto_compat.install()
        if self.requested_port:
            ensure_free(self.host, self.requested_port)
        server = ThreadedMotoServer(ip_address=self.host, port=self.requested_port, verbose=False)
        server.start()
        self._server = server

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> Emulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def ensure_free(host: str, port: int) -> None:
    """Fail early and clearly: moto's server thread would die silently on a taken port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise EmulatorError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
