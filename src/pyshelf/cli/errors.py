"""How the `pyshelf` commands fail: the CLI's own errors and the one place errors are shown.

Any `PyshelfError` escaping a command (the CLI's own below, or one of the core, storage, indexer,
publish or local code) is printed by `PyshelfGroup` as one line, `Error: <message>`, on stderr,
and the process exits with the error's `exit_code` (`pyshelf.core.errors.Exit`), without a
traceback. AWS failures become `CliError`s in `pyshelf.cli.run.aws_errors`.
"""

from __future__ import annotations

from typing import Any

import click

from pyshelf.core.errors import Exit, PyshelfError

EXIT_CODES_HELP = (
    "\b\nExit codes: 0 ok, 1 error (credentials, stack, bucket, access, endpoint, nothing found),"
    "\n2 usage, 3 invalid distribution, 4 conflict (file exists with other bytes), 5 timeout."
)


class CliError(PyshelfError):
    """An expected failure of a command: `Error: <message>` on stderr and exit code 1."""


class UsageProblem(CliError):
    """A usage error said in one line (`Error: <message>`, exit 2): what to pass instead."""

    exit_code = Exit.USAGE


class InvalidFiles(CliError):
    exit_code = Exit.INVALID


class Conflict(CliError):
    exit_code = Exit.CONFLICT


class TimedOut(CliError):
    exit_code = Exit.TIMEOUT


class PyshelfGroup(click.Group):
    """A command group that shows any `PyshelfError` escaping a command as one line."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PyshelfError as error:
            click.echo(f"Error: {str(error) or type(error).__name__}", err=True)
            ctx.exit(error.exit_code)
