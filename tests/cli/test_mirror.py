"""`pyshelf mirror`'s own errors (the mirror itself: tests/local/test_e2e_mirror.py)."""

from __future__ import annotations

from pathlib import Path

from cli.helpers import Run
from pyshelf.cli.mirror import ONLY_BINARY_NEEDED


def test_a_platform_needs_only_binary_all(run: Run, tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("app\n")
    for option in (("--platform", "win_amd64"), ("--python-version", "3.12")):
        result = run("mirror", "-r", str(requirements), *option)
        assert (result.exit_code, result.stderr) == (2, f"Error: {ONLY_BINARY_NEEDED}\n")
        passed = run("mirror", "-r", str(requirements), *option, "--only-binary", "lib")
        assert passed.exit_code == 2, "only :all: will do"


def test_a_missing_requirements_file_is_a_usage_error(run: Run, tmp_path: Path) -> None:
    missing = tmp_path / "requirements.txt"
    result = run("mirror", "-r", str(missing))
    assert (result.exit_code, result.stderr) == (2, f"Error: no such file: {missing}\n")


def test_a_pip_failure_is_one_line_with_pips_reason(run: Run, s3: object, tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("not a requirement ???\n")
    result = run("mirror", "-r", str(requirements))
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: pip download failed (exit 1): ERROR: Invalid requirement: ")
