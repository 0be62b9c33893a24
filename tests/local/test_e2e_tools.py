"""docs/tools.md, checked: each block marked `<!-- check:NAME -->` is written into a real file
(the index URL put in place of https://INDEX/) and real pip, uv and pip-tools install or
resolve through it against `pyshelf serve`, with no other index given."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from local import served
from local.dists import build_wheel
from pyshelf.local import aws
from pyshelf.storage.s3 import S3Store

pytestmark = pytest.mark.e2e
DOC = Path(__file__).resolve().parents[2] / "docs" / "tools.md"
PLACEHOLDER = "https://INDEX/"
PROJECT, VERSION = "acme-lib", "1.0"


def block(name: str, index_url: str) -> str:
    """The code block marked `<!-- check:NAME -->`, with the index URL in place."""
    found = re.search(rf"<!-- check:{name} -->\s*```\w*\n(.*?)```", DOC.read_text(), re.DOTALL)
    assert found, f"docs/tools.md has no block marked check:{name}"
    text = found.group(1)
    assert PLACEHOLDER in text
    return text.replace(PLACEHOLDER, index_url)


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[served.Served]:
    running = served.start(tmp_path_factory.mktemp("serve"))
    wheel = build_wheel(tmp_path_factory.mktemp("dist"), PROJECT, VERSION)
    S3Store(aws.s3_client(running.s3_endpoint), running.bucket).put(
        f"{PROJECT}/{wheel.name}", wheel.read_bytes(), content_type="application/zip"
    )
    running.wait_listed(PROJECT, {wheel.name})
    yield running
    code, _ = running.stop()
    assert code == 0


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return served.client_env(tmp_path / "home")


def _installed(target: Path) -> str:
    return (target / "acme_lib_mod" / "__init__.py").read_text()


def test_pip_conf(index: served.Served, env: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "pip.conf"
    config.write_text(block("pip.conf", index.index_url))
    env["PIP_CONFIG_FILE"] = str(config)
    target = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "install", "--target", str(target), PROJECT]
    result = served.run(pip, env)
    assert f"Looking in indexes: {index.index_url}" in result.stdout
    assert _installed(target) == f"VERSION = {VERSION!r}\n"


def test_uv_toml(index: served.Served, env: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "uv.toml"
    config.write_text(block("uv.toml", index.index_url))
    env.pop("UV_NO_CONFIG")
    env["UV_CONFIG_FILE"] = str(config)
    target = tmp_path / "site"
    uv = [served.tool("uv"), "pip", "install", "--python", sys.executable, "--target"]
    served.run([*uv, str(target), PROJECT], env)
    assert _installed(target) == f"VERSION = {VERSION!r}\n"


def test_uv_project_with_an_explicit_index(
    index: served.Served, env: dict[str, str], tmp_path: Path
) -> None:
    project = tmp_path / "app"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "0"\nrequires-python = ">=3.11"\n'
        f'dependencies = ["{PROJECT}"]\n\n' + block("pyproject-uv", index.index_url)
    )
    served.run([served.tool("uv"), "lock", "--python", sys.executable], env, cwd=project)
    lock = (project / "uv.lock").read_text()
    entry = re.search(rf'\[\[package\]\]\nname = "{PROJECT}"\n(.*?)\n\n', lock, re.DOTALL)
    assert entry, lock
    assert f'version = "{VERSION}"' in entry.group(1)
    assert f'source = {{ registry = "{index.index_url}" }}' in entry.group(1)


def test_pip_compile(index: served.Served, env: dict[str, str], tmp_path: Path) -> None:
    """pip-tools from PyPI through uvx (uv's own cache: it is fetched once per machine)."""
    (tmp_path / "requirements.in").write_text(f"{PROJECT}\n")
    words = block("pip-compile", index.index_url).splitlines()[0].split()
    while "=" in words[0]:  # VARIABLE=value before the command
        name, _, value = words.pop(0).partition("=")
        env[name] = value
    env.pop("UV_CACHE_DIR")
    command = [served.tool("uvx"), "--python", sys.executable, "--from", "pip-tools"]
    served.run([*command, *words], env, cwd=tmp_path)
    compiled = (tmp_path / "requirements.txt").read_text()
    assert f"{PROJECT}=={VERSION}" in compiled
    assert index.index_url not in compiled, "the URL (a token with it) stays out of the file"


def _uvx(tool: str, env: dict[str, str]) -> list[str]:
    """A tool from PyPI through uvx (uv's own cache: fetched once per machine)."""
    env.pop("UV_CACHE_DIR", None)
    return [served.tool("uvx"), "--python", sys.executable, "--from", tool, tool]


def test_tox(index: served.Served, env: dict[str, str], tmp_path: Path) -> None:
    """The `[testenv]` block as the doc shows it, with a dependency and a command added."""
    (tmp_path / "tox.ini").write_text(
        "[tox]\nno_package = true\n\n"
        + block("tox", index.index_url)
        + f"deps = {PROJECT}\n"
        + 'commands = python -c "import acme_lib_mod; print(acme_lib_mod.VERSION)"\n'
    )
    result = served.run([*_uvx("tox", env), "-e", "py"], env, cwd=tmp_path)
    assert f"{VERSION}\n" in result.stdout, result.stdout


def test_nox(index: served.Served, env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "noxfile.py").write_text(block("nox", index.index_url))
    result = served.run([*_uvx("nox", env), "--no-color"], env, cwd=tmp_path)
    assert f"{VERSION}\n" in result.stdout + result.stderr


def test_poetry_primary_source(index: served.Served, env: dict[str, str], tmp_path: Path) -> None:
    """`poetry lock` of a project with the doc's source: resolved from pyshelf alone."""
    poetry = Path(__file__).resolve().parents[2] / ".venv-publishers" / "bin" / "poetry"
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "0"\nrequires-python = ">=3.11"\n'
        f'dependencies = ["{PROJECT}"]\n\n' + block("poetry", index.index_url)
    )
    env["POETRY_CACHE_DIR"] = str(tmp_path / "poetry-cache")
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    served.run([str(poetry), "lock", "--no-interaction"], env, cwd=tmp_path)
    lock = (tmp_path / "poetry.lock").read_text()
    entry = re.search(rf'\[\[package\]\]\nname = "{PROJECT}"\n(.*?)\n\n\[', lock, re.DOTALL)
    assert entry, lock
    assert f'version = "{VERSION}"' in entry.group(1)
    source = f'type = "legacy"\nurl = "{index.index_url.rstrip("/")}"\nreference = "pyshelf"'
    assert source in lock, lock
