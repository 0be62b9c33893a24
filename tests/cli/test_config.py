"""Named targets in the user's pyshelf.toml (`--target`, `PYSHELF_TARGET`): flags win over the
environment, which wins over the file; the file holds no secrets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cli.helpers import BUCKET, invoke, publish
from pyshelf.cli.config import config_path
from pyshelf.storage.s3 import S3Store

CONFIG = f"""
[targets.moto]
bucket = "{BUCKET}"
region = "us-east-1"

[targets.elsewhere]
bucket = "no-such-bucket-here"
"""


@pytest.fixture
def config(aws_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "pyshelf.toml"
    path.write_text(CONFIG)
    monkeypatch.setenv("PYSHELF_CONFIG", str(path))
    monkeypatch.delenv("PYSHELF_TARGET", raising=False)
    return path


def test_the_default_place_is_under_xdg_config_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYSHELF_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert config_path() == tmp_path / "pyshelf" / "pyshelf.toml"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert config_path() == tmp_path / "home" / ".config" / "pyshelf" / "pyshelf.toml"


def test_a_target_gives_the_bucket(config: Path, s3: Any, shelf: S3Store) -> None:
    publish(shelf)
    result = invoke("list", "--target", "moto")
    assert result.exit_code == 0, result.output
    assert "no projects published yet" in result.stdout


def test_pyshelf_target_chooses_it_too(
    config: Path, s3: Any, shelf: S3Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish(shelf)
    monkeypatch.setenv("PYSHELF_TARGET", "moto")
    assert invoke("list").exit_code == 0


def test_flags_then_environment_then_the_file(
    config: Path, s3: Any, shelf: S3Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish(shelf)
    missing = "Error: bucket 'no-such-bucket-here' does not exist"
    assert invoke("list", "--target", "elsewhere").stderr.startswith(missing)
    monkeypatch.setenv("PYSHELF_BUCKET", BUCKET)  # the environment wins over the file
    assert invoke("list", "--target", "elsewhere").exit_code == 0
    monkeypatch.setenv("PYSHELF_BUCKET", "no-such-bucket-here")
    assert invoke("list", "--target", "moto").stderr.startswith(missing)
    # a flag wins over both
    assert invoke("list", "--target", "elsewhere", "--bucket", BUCKET).exit_code == 0


def test_an_unknown_target_names_the_known_ones(config: Path) -> None:
    result = invoke("list", "--target", "prod")
    assert (result.exit_code, result.stderr) == (
        2,
        f"Error: no target 'prod' in {config} (its targets: elsewhere, moto)\n",
    )


def test_no_config_file(config: Path) -> None:
    config.unlink()
    result = invoke("list", "--target", "moto")
    assert (result.exit_code, result.stderr) == (
        2,
        f"Error: --target needs a config file: {config} does not exist "
        "(create it, or point PYSHELF_CONFIG at one)\n",
    )


def test_a_token_is_refused_in_the_file(config: Path) -> None:
    config.write_text(CONFIG + 'token = "pst_secret"\n')  # lands in [targets.elsewhere]
    result = invoke("list", "--target", "elsewhere")
    assert (result.exit_code, result.stderr) == (
        2,
        f"Error: {config}: [targets.elsewhere]: unknown key 'token' (known: stack, bucket, "
        "index-url, endpoint-url, profile, region; secrets such as tokens stay out of this "
        "file: set PYSHELF_TOKEN, and AWS credentials through a profile)\n",
    )


def test_a_bad_bucket_name_in_the_file_is_refused(config: Path) -> None:
    config.write_text('[targets.bad]\nbucket = "Bad_Name"\n')
    result = invoke("list", "--target", "bad")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: invalid bucket name 'Bad_Name': S3 bucket names")


def test_malformed_toml_is_one_line(config: Path) -> None:
    config.write_text("[targets.moto\n")
    result = invoke("list", "--target", "moto")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: cannot read {config}: ")
    assert len(result.stderr.splitlines()) == 1
