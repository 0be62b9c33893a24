"""`pyshelf serve --upstream URL --reserve GLOB`: checked before anything starts (usage errors
that say what is wrong), then handed to the local index as given."""

from __future__ import annotations

import importlib
import threading
from pathlib import Path
from typing import Any

import pytest

from cli.helpers import invoke
from pyshelf.local import runtime


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[runtime.ServeConfig]:
    """The configs `pyshelf serve` would start with (nothing starts)."""
    configs: list[runtime.ServeConfig] = []

    def run(config: runtime.ServeConfig, *args: Any) -> None:
        configs.append(config)

    monkeypatch.setattr(runtime, "run", run)
    serve_module = importlib.import_module("pyshelf.cli.serve")
    monkeypatch.setattr(serve_module, "_stop_on_signals", threading.Event)
    return configs


def _serve(tmp_path: Path, *args: str) -> Any:
    return invoke("serve", "--access-log", str(tmp_path / "access.log"), *args)


def test_upstream_and_reserved_reach_the_local_index(
    started: list[runtime.ServeConfig], tmp_path: Path
) -> None:
    args = ("--upstream", "http://127.0.0.1:8081/", "--reserve", "acme-*", "--reserve", "x?")
    result = _serve(tmp_path, "--private", *args)
    assert result.exit_code == 0, result.output
    [config] = started
    assert (config.upstream, config.reserved) == ("http://127.0.0.1:8081/", ("acme-*", "x?"))
    settings = config.edge_settings()
    assert (settings.access, settings.upstream) == ("private", "http://127.0.0.1:8081/")


def test_no_upstream_by_default(started: list[runtime.ServeConfig], tmp_path: Path) -> None:
    assert _serve(tmp_path).exit_code == 0
    assert (started[0].upstream, started[0].reserved) == (None, ())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--reserve", "acme-*"), "--reserve needs --upstream"),
        (("--upstream", "http://pypi.org/simple/"), "Invalid value for --upstream: upstream "),
        (("--upstream", "https://pypi.org/simple"), "must end with '/'"),
        (
            ("--upstream", "https://pypi.org/simple/", "--reserve", "Acme_*"),
            "Invalid value for --reserve: reserved glob 'Acme_*' is not normalized: write 'acme-*'",
        ),
    ],
)
def test_bad_settings_are_usage_errors_before_anything_starts(
    started: list[runtime.ServeConfig], tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    result = _serve(tmp_path, *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert started == []
