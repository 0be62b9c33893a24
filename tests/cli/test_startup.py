"""`pyshelf --help` stays light: declaring the commands imports no AWS library, no emulator, no
templates and none of the publish/indexer code (they load only when a command runs). Checked by
what a fresh interpreter has imported, not by timing (bench/cli_startup.py times it)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("boto3", "botocore", "s3transfer", "moto", "jinja2", "urllib3")
HEAVY_PYSHELF = (
    "pyshelf.cli.run",
    "pyshelf.publish",
    "pyshelf.indexer",
    "pyshelf.storage",
    "pyshelf.local",
)
COMMANDS = (
    "upload",
    "mirror",
    "delete",
    "restore",
    "yank",
    "unyank",
    "list",
    "reindex",
    "release-name",
    "serve",
)

_PROBE = """
import json, sys
from pyshelf.cli import main
try:
    main(sys.argv[1:], prog_name="pyshelf")
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def _modules_after(*args: str) -> list[str]:
    """The modules imported by a fresh interpreter running `pyshelf ARGS` in-process."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    modules: list[str] = json.loads(done.stderr.splitlines()[-1])
    assert "pyshelf.cli" in modules  # the probe really ran the CLI
    return modules


def _heavy(modules: list[str]) -> list[str]:
    return [
        name
        for name in modules
        if name.split(".")[0] in HEAVY
        or any(name == prefix or name.startswith(prefix + ".") for prefix in HEAVY_PYSHELF)
    ]


def test_import_alone_is_light() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, sys, pyshelf.cli; print(json.dumps(list(sys.modules)))",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert _heavy(json.loads(done.stdout)) == []


@pytest.mark.parametrize("args", [("--help",), *((c, "--help") for c in COMMANDS)], ids=str)
def test_help_is_light(args: tuple[str, ...]) -> None:
    assert _heavy(_modules_after(*args)) == []


def test_the_probe_sees_heavy_imports_when_a_command_runs() -> None:
    """The check can fail: running a command imports the AWS libraries (here `list` fails at
    once: nothing listens on that local port)."""
    modules = _modules_after("list", "--bucket", "bucket", "--endpoint-url", "http://127.0.0.1:9")
    assert {"boto3", "botocore", "pyshelf.cli.run.connection"} <= set(modules)
