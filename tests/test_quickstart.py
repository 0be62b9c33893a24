"""The README's quick start, followed as a newcomer would: on a fresh clone (the tracked files
only), `make serve` as the README writes it (with free ports through `ARGS`), then the README's
serve-and-use lines in a second shell, through `pip install` of the example project.

The lines are read from the README (the code blocks after `<!-- quickstart:serve -->` and
`<!-- quickstart:use -->`); only the default ports are replaced by the ones the banner printed."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DEFAULT_S3 = "http://127.0.0.1:9000"
DEFAULT_INDEX = "http://127.0.0.1:8080/"
FREE_PORTS = 'ARGS="--port 0 --s3-port 0"'
INSTALL_TIMEOUT = 240.0  # the first `make serve` creates .venv and installs pyshelf[serve]
_DROPPED = ("PYSHELF_", "AWS_", "VIRTUAL_ENV", "PYTHONPATH")

pytestmark = pytest.mark.e2e


def block_after(marker: str, text: str) -> list[str]:
    """The lines of the first fenced code block after `<!-- quickstart:MARKER -->`."""
    found = re.search(rf"<!-- quickstart:{marker} -->\s*```sh\n(.*?)\n```", text, re.DOTALL)
    assert found, f"README.md has no code block after <!-- quickstart:{marker} -->"
    return found.group(1).splitlines()


def test_the_quick_start_has_two_set_up_commands_in_separate_blocks() -> None:
    text = README.read_text()
    quick = text[text.index("## Quick start") : text.index("### Publish a package")]
    blocks = re.findall(r"```sh\n(.*?)\n```", quick, re.DOTALL)
    assert blocks == ["make serve", "make test"]
    assert block_after("serve", text) == ["make serve"]


def fresh_clone(target: Path) -> Path:
    """The repository's tracked files as they are in the working tree: what a clone of this
    commit would hold (an untracked file the quick start needs is missing here too)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def user_env() -> dict[str, str]:
    """The shell of a user who has no pyshelf, AWS or virtualenv settings yet."""
    return {k: v for k, v in os.environ.items() if not k.startswith(_DROPPED)}


def banner_fields(stdout: Path) -> dict[str, str]:
    fields = {}
    for line in stdout.read_text().splitlines():
        name, _, rest = line.strip().partition("  ")
        if rest.strip():
            fields[name] = rest.split()[0]
    return fields


@pytest.fixture
def served_clone(tmp_path: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    """`make serve ARGS=...` running in a fresh clone; (clone, banner fields)."""
    clone = fresh_clone(tmp_path / "clone")
    [serve_line] = block_after("serve", README.read_text())
    stdout, stderr = tmp_path / "serve.out", tmp_path / "serve.err"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            ["bash", "-c", f"{serve_line} {FREE_PORTS}"],
            cwd=clone,
            env=user_env(),
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    started = time.monotonic()
    try:
        deadline = started + INSTALL_TIMEOUT
        while not {"Index URL", "S3 endpoint"} <= banner_fields(stdout).keys():
            assert process.poll() is None, f"make serve failed:\n{stderr.read_text()}"
            assert time.monotonic() < deadline, f"no banner in time:\n{stderr.read_text()}"
            time.sleep(0.2)
        print(f"make serve: banner after {time.monotonic() - started:.1f}s")
        yield clone, banner_fields(stdout)
    finally:
        stopping = time.monotonic()
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(30)
            print(f"stopped in {time.monotonic() - stopping:.1f}s: {process.returncode}")
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_the_quick_start_on_a_fresh_clone(served_clone: tuple[Path, dict[str, str]]) -> None:
    clone, fields = served_clone
    script = "\n".join(block_after("use", README.read_text()))
    assert DEFAULT_S3 in script and DEFAULT_INDEX in script  # else nothing is replaced below
    script = script.replace(DEFAULT_S3, fields["S3 endpoint"])
    script = script.replace(DEFAULT_INDEX, fields["Index URL"])
    started = time.monotonic()
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=clone,
        env=user_env(),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    print(f"the use lines: {time.monotonic() - started:.1f}s")
    assert result.returncode == 0, f"{script}\n{result.stdout}\n{result.stderr}"
    assert "indexed: 2 file(s) listed with their sha256" in result.stdout
    assert f"Looking in indexes: {fields['Index URL']}" in result.stdout  # pip used our index
    assert result.stdout.rstrip().endswith("hello from your pyshelf index")
    installed = list((clone / ".venv").glob("lib/python*/site-packages/pyshelf_hello/"))
    assert installed, "pyshelf-hello is not installed in the clone's .venv"
