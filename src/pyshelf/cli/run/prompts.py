"""Questions a command asks before it changes something: a "no" aborts; no way to ask (stdin is
not a terminal and has no answer) is a usage error that names the option that skips the question."""

from __future__ import annotations

import sys

import click

from pyshelf.cli.errors import UsageProblem


def confirm(question: str, *, skip_with: str = "--yes") -> None:
    try:
        answer = click.confirm(question)
    except click.Abort:  # Ctrl-C, or the end of stdin
        if sys.stdin.isatty():
            raise
        raise UsageProblem(
            f"no answer to {question!r}: stdin is not a terminal; pass {skip_with}"
        ) from None
    if not answer:
        raise click.Abort
