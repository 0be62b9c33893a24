"""The one place errors are shown: any `PyshelfError` escaping a command becomes `Error: <message>`
on stderr and the error's exit code; anything else is still a bug (a traceback)."""

from __future__ import annotations

import importlib
import threading
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from cli.helpers import invoke
from pyshelf.cli.errors import Conflict, InvalidFiles, PyshelfGroup, TimedOut
from pyshelf.cli.run import reindex as reindex_work
from pyshelf.core.errors import Exit, PyshelfError
from pyshelf.indexer.regenerate import StillChanging
from pyshelf.local import runtime
from pyshelf.publish.checks import InvalidDistribution
from pyshelf.storage import NotFound


def _group_raising(error: BaseException) -> click.Group:
    @click.group(cls=PyshelfGroup)
    def group() -> None:
        pass

    @group.command()
    def fail() -> None:
        raise error

    return group


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (PyshelfError("plain"), 1),
        (NotFound("demo/demo-1.0.tar.gz"), 1),
        (InvalidDistribution("not a wheel"), 3),
        (InvalidFiles("2 invalid file(s)"), 3),
        (Conflict("exists"), 4),
        (TimedOut("too slow"), 5),
    ],
)
def test_error_becomes_one_line_and_its_exit_code(error: PyshelfError, code: int) -> None:
    result = CliRunner().invoke(_group_raising(error), ["fail"])
    assert result.exit_code == code
    assert result.stderr == f"Error: {error}\n"
    assert result.stdout == ""


def test_error_without_message_names_its_kind() -> None:
    result = CliRunner().invoke(_group_raising(StillChanging()), ["fail"])
    assert (result.exit_code, result.stderr) == (Exit.ERROR, "Error: StillChanging\n")


def test_other_exceptions_are_not_swallowed() -> None:
    result = CliRunner().invoke(_group_raising(KeyError("bug")), ["fail"])
    assert isinstance(result.exception, KeyError)


def test_the_pyshelf_command_maps_errors_of_its_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real `pyshelf` group: an indexer error escaping `reindex`."""

    def still_changing(*args: object, **kwargs: object) -> None:
        raise StillChanging("root: still changing after 8 attempts")

    monkeypatch.setattr(reindex_work, "run_reindex", still_changing)
    result = invoke("reindex", "--bucket", "bucket", "--all")
    assert result.exit_code == 1
    assert result.stderr == "Error: root: still changing after 8 attempts\n"


def test_serve_error_is_shown_without_translation(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def port_taken(*args: object) -> None:
        raise runtime.ServeError("[Errno 98] Address already in use")

    monkeypatch.setattr(runtime, "run", port_taken)
    # Not the command `pyshelf.cli.serve`: its module. Keep pytest's own signal handlers.
    serve_module = importlib.import_module("pyshelf.cli.serve")
    monkeypatch.setattr(serve_module, "_stop_on_signals", threading.Event)
    result = invoke("serve", "--access-log", str(tmp_path / "access.log"))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == "Error: [Errno 98] Address already in use"
