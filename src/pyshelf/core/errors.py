"""The one exception base of pyshelf, and the exit codes of the `pyshelf` command line.

Every pyshelf exception derives from `PyshelfError` (some keep a second base, e.g. `ValueError`,
that callers catch). A `PyshelfError` escaping a command is printed by the CLI as one line,
`Error: <message>`, on stderr, and the process exits with the error's `exit_code`.
"""

from __future__ import annotations

from enum import IntEnum
from typing import ClassVar


class Exit(IntEnum):
    """Exit codes of `pyshelf` (see docs/cli.md)."""

    OK = 0
    ERROR = 1  # the target could not be used (credentials, stack, bucket, access, endpoint)
    USAGE = 2  # bad arguments (click's own code)
    INVALID = 3  # some file is not a valid distribution; nothing was uploaded
    CONFLICT = 4  # a filename exists with different bytes; nothing was overwritten
    TIMEOUT = 5  # --wait: the index did not list every file in time


class PyshelfError(Exception):
    """An expected failure of pyshelf; its message is one line that says why."""

    exit_code: ClassVar[Exit] = Exit.ERROR
