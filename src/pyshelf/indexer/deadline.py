"""How much of an invocation is left, and whether to start more work (docs/reliability.md,
"Time limits").

The Lambda handler builds a `Deadline` over `context.get_remaining_time_in_millis()`; tests pass
a fake clock. Work is started only while it can end with time to spare: a project while more
than `PROJECT_RESERVE_SECONDS` are left, a file read while it is expected to end (at
`ASSUMED_READ_BYTES_PER_SECOND` for its bytes and those already in flight) more than
`READ_RESERVE_SECONDS` before the end. What is not started is handed on in a re-enqueued
message (`pyshelf.core.continuation`). The first project of an invocation, and its first file
read, always start, so that each continuation makes progress.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable

Clock = Callable[[], float]
"""Seconds left in this invocation."""

# A started project may still have to write its facts cache and pages (a 50,000-file project:
# about 8 MiB of cache and 40 MiB of pages, a few seconds on S3), and the batch the root, the
# invalidation and the re-enqueued message: a project starts only with more than this left.
PROJECT_RESERVE_SECONDS = 30.0
# A file read must end with this much left, for the same writes.
READ_RESERVE_SECONDS = 25.0
# A pessimistic rate for a read (GET, sha256, spool, inspection) from a 1 GiB Lambda: reads in
# flight share it.
ASSUMED_READ_BYTES_PER_SECOND = 32 * 1024 * 1024


class Deadline:
    """The end of one invocation, as told by `clock` (None: no end, as in `pyshelf serve`)."""

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._projects = 0
        self._reads = 0

    @property
    def remaining(self) -> float:
        return math.inf if self._clock is None else self._clock()

    def start_project(self) -> bool:
        """True (and counted) if a project may start now."""
        with self._lock:
            if self._projects and self.remaining <= PROJECT_RESERVE_SECONDS:
                return False
            self._projects += 1
            return True

    def start_read(self, size: int, in_flight: int = 0) -> bool:
        """True (and counted) if a read of `size` bytes may start beside `in_flight` bytes."""
        with self._lock:
            seconds = (size + in_flight) / ASSUMED_READ_BYTES_PER_SECOND
            progressed = self._reads or self._projects > 1
            if progressed and self.remaining - seconds <= READ_RESERVE_SECONDS:
                return False
            self._reads += 1
            return True


UNLIMITED = Deadline()
