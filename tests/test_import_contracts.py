"""The import rules of docs/architecture.md hold, and breaking one fails `lint-imports`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": f"{root / 'src'}{os.pathsep}{root}"}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def contracts() -> dict[str, dict[str, Any]]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    return {contract["id"]: contract for contract in config["contracts"]}


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The package, the CDK app and the contracts, copied to be broken on purpose."""
    shutil.copytree(REPO / "src", tmp_path / "src", ignore=shutil.ignore_patterns("*.egg-info"))
    shutil.copytree(REPO / "infra", tmp_path / "infra")
    shutil.copy(REPO / "pyproject.toml", tmp_path)
    return tmp_path


def test_the_tree_keeps_every_contract(copy: Path) -> None:
    result = lint_imports(copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("src/pyshelf/core/layout.py", "import boto3", "pure-core"),
        ("src/pyshelf/core/render.py", "import click", "pure-core"),
        ("src/pyshelf/indexer/batch.py", "import moto", "indexer"),
        ("src/pyshelf/storage/s3.py", "import pyshelf.cli", "storage"),
        ("infra/stack.py", "import pyshelf.core.layout", "infra"),
    ],
)
def test_a_forbidden_import_breaks_its_contract(
    copy: Path, module: str, line: str, contract: str
) -> None:
    path = copy / module
    path.write_text(path.read_text() + f"\n{line}\n")
    result = lint_imports(copy)
    assert result.returncode != 0
    report = " ".join(result.stdout.split())
    assert f"{contracts()[contract]['name']} BROKEN" in report, result.stdout


def test_infra_may_import_no_room_but_constants() -> None:
    """Every subpackage of pyshelf is forbidden to infra, so a new room is covered too."""
    infra = contracts()["infra"]
    rooms = {
        f"pyshelf.{path.parent.name}"
        for path in (REPO / "src/pyshelf").glob("*/__init__.py")
        if path.parent.name != "__pycache__"
    }
    assert set(infra["forbidden_modules"]) == rooms
