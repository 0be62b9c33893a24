"""The user's `pyshelf.toml`: named targets, chosen with `--target NAME` (`PYSHELF_TARGET`).

    [targets.local]
    endpoint-url = "http://127.0.0.1:9000"
    bucket = "pyshelf"
    index-url = "http://127.0.0.1:8080/"

    [targets.prod]
    stack = "pyshelf-prod"
    profile = "prod"

The file is `PYSHELF_CONFIG`, else `$XDG_CONFIG_HOME/pyshelf/pyshelf.toml` (`~/.config/...` when
XDG_CONFIG_HOME is unset). A target only fills what the command line and the environment left
unset: flags, then environment, then the file. It holds no secrets: a key that is not a target
option (a token, a password) is refused; tokens come from `PYSHELF_TOKEN`, AWS credentials from
the AWS chain (`profile`)."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pyshelf.cli.errors import UsageProblem

CONFIG_VARIABLE = "PYSHELF_CONFIG"
TARGET_VARIABLE = "PYSHELF_TARGET"
CONFIG_NAME = "pyshelf.toml"
# The keys of a target, as written in the file, and the option each one fills.
KEYS = {
    "stack": "stack",
    "bucket": "bucket",
    "index-url": "index_url",
    "endpoint-url": "endpoint_url",
    "profile": "profile",
    "region": "region",
}


def config_path() -> Path:
    given = os.environ.get(CONFIG_VARIABLE)
    if given:
        return Path(given)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "pyshelf" / CONFIG_NAME


def target_settings(name: str) -> dict[str, str]:
    """The options of target `name` in the config file (option name → value)."""
    path = config_path()
    targets = _targets(path)
    if name not in targets:
        known = ", ".join(sorted(targets)) or "none"
        raise UsageProblem(f"no target {name!r} in {path} (its targets: {known})")
    table = targets[name]
    if not isinstance(table, dict):
        raise UsageProblem(f"{path}: [targets.{name}] is not a table")
    settings = {}
    for key, value in table.items():
        checked = _value(path, name, key, value)  # an unknown key is refused here
        settings[KEYS[key]] = checked
    return settings


def _targets(path: Path) -> dict[str, Any]:
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageProblem(
            f"--target needs a config file: {path} does not exist "
            f"(create it, or point {CONFIG_VARIABLE} at one)"
        ) from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageProblem(f"cannot read {path}: {exc}") from None
    targets = document.get("targets", {})
    if not isinstance(targets, dict):
        raise UsageProblem(f"{path}: 'targets' is not a table")
    return targets


def _value(path: Path, target: str, key: str, value: object) -> str:
    where = f"{path}: [targets.{target}]"
    if key not in KEYS:
        raise UsageProblem(
            f"{where}: unknown key {key!r} (known: {', '.join(KEYS)}; secrets such as tokens "
            "stay out of this file: set PYSHELF_TOKEN, and AWS credentials through a profile)"
        )
    if not isinstance(value, str) or not value:
        raise UsageProblem(f"{where}: {key} must be a non-empty string")
    return value
