"""The ports of `pyshelf serve`: checked before anything starts, and one message when one is
taken, whichever it is."""

from __future__ import annotations

import socket

from pyshelf.core.errors import PyshelfError

FREE_PORT_HINT = "pass another --port or --s3-port, or 0 for any free port"


class PortTaken(PyshelfError, OSError):
    """A port of `pyshelf serve` cannot be listened on; the message says which and what to do."""


def taken(host: str, port: int, option: str, reason: str | None) -> PortTaken:
    return PortTaken(f"cannot listen on {host}:{port} ({option}): {reason}; {FREE_PORT_HINT}")


def ensure_free(host: str, port: int, option: str) -> None:
    """Fail early and clearly when (host, port) cannot be bound (port 0 always can)."""
    if not port:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise taken(host, port, option, exc.strerror) from None
