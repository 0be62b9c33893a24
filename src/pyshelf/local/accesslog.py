"""The local CDN's access log: one line per request, Common Log Format plus the origin key.

    127.0.0.1 - - [27/Nov/2026:16:25:46 +0000] "GET /foo/ HTTP/1.1" 200 512 "foo/index.json"

The last field is the bucket key the request was routed to, or "-" when the CDN answered itself
(redirects, 404 from routing).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TextIO


@dataclass(frozen=True, slots=True)
class Entry:
    client: str
    method: str
    target: str
    version: str
    status: int
    size: int
    key: str | None


def format_entry(entry: Entry, when: datetime) -> str:
    stamp = when.astimezone(UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")
    request = f"{entry.method} {entry.target} {entry.version}"
    return (
        f'{entry.client} - - [{stamp}] "{request}" {entry.status} {entry.size} "{entry.key or "-"}"'
    )


class AccessLog:
    """Thread-safe, line-buffered writer."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def write(self, entry: Entry) -> None:
        line = format_entry(entry, datetime.now(UTC))
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()
