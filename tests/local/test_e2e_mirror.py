"""`pyshelf mirror -r requirements.txt`, end to end: a `pyshelf serve` stands in for PyPI (pip
finds it through PIP_INDEX_URL, as it would any index), the mirror uploads what pip resolved to
a second `pyshelf serve`, and then, with the stand-in stopped, pip installs the same
requirements from the target index alone."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from distbuild import wheel

from local import served
from pyshelf.local import aws
from pyshelf.storage.s3 import S3Store

pytestmark = pytest.mark.e2e
PIP_INSTALL = (sys.executable, "-m", "pip", "install", "--index-url")

# On the stand-in PyPI: app needs lib (two versions there) and, on Windows only, winonly.
APP_METADATA = b"""Metadata-Version: 2.1
Name: app
Version: 1.0
Requires-Dist: lib>=1.0
Requires-Dist: winonly; sys_platform == "win32"

"""
PUBLIC: dict[str, list[tuple[str, bytes | None]]] = {
    "app": [("1.0", APP_METADATA)],
    "lib": [("1.0", None), ("2.0", None)],
    "winonly": [("1.0", None)],
}


def _publish(server: served.Served) -> None:
    store = S3Store(aws.s3_client(server.s3_endpoint), server.bucket)
    for project, releases in PUBLIC.items():
        names = set()
        for version, metadata in releases:
            name = f"{project}-{version}-py3-none-any.whl"
            body = wheel(project, version, metadata=metadata)
            store.put(f"{project}/{name}", body, content_type="application/zip")
            names.add(name)
        server.wait_listed(project, names)


def _pyshelf(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pyshelf.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_mirror_a_requirements_file_then_install_from_the_target_alone(tmp_path: Path) -> None:
    started = time.monotonic()
    pypi = served.start(tmp_path / "pypi")
    target = served.start(tmp_path / "target")
    try:
        _publish(pypi)
        requirements = tmp_path / "requirements.txt"
        requirements.write_text("app\n")
        env = served.client_env(tmp_path / "home") | {"PIP_INDEX_URL": pypi.index_url}
        where = ("--endpoint-url", target.s3_endpoint, "--bucket", target.bucket)
        mirror = ("mirror", "-r", str(requirements), *where)

        dry = _pyshelf(env, *mirror, "--dry-run")
        assert dry.returncode == 0, dry.stderr
        assert dry.stdout.splitlines() == [  # markers as pip evaluates them here: no winonly
            "would fetch: app 1.0  app-1.0-py3-none-any.whl",
            "would fetch: lib 2.0  lib-2.0-py3-none-any.whl",
        ]
        assert served.status(target.index_url, "/app/") == 404, "a dry run uploads nothing"
        # pip evaluates sys_platform markers for this machine, even with --platform (as the
        # docs say): the Windows-only dependency is not fetched for win_amd64 either.
        windows = ("--platform", "win_amd64", "--only-binary", ":all:")
        assert _pyshelf(env, *mirror, "--dry-run", *windows).stdout == dry.stdout

        done = _pyshelf(env, *mirror)
        assert done.returncode == 0, done.stderr
        s3 = f"s3://{target.bucket}"
        assert done.stdout.splitlines()[-1] == (
            "now private on this index (served here, never from an upstream with fall-through; "
            "docs/fallthrough.md): app, lib"
        )
        assert f"uploaded: {s3}/app/app-1.0-py3-none-any.whl" in done.stdout
        assert f"uploaded: {s3}/lib/lib-2.0-py3-none-any.whl" in done.stdout

        again = _pyshelf(env, *mirror)  # the same rules as upload: the same bytes are skipped
        assert again.returncode == 0, again.stderr
        assert f"skipped: {s3}/lib/lib-2.0-py3-none-any.whl" in again.stdout
        assert again.stdout.splitlines()[-1] == (
            "no new private names: every mirrored project was already published here"
        )
        target.wait_listed("app", {"app-1.0-py3-none-any.whl"})
        target.wait_listed("lib", {"lib-2.0-py3-none-any.whl"})
    finally:
        code, _ = pypi.stop()  # from here on, the target is the only index there is
    try:
        assert code == 0
        installed = tmp_path / "installed"
        served.run(
            [*PIP_INSTALL, target.index_url, "--target", str(installed), "-r", str(requirements)],
            served.client_env(tmp_path / "home"),
        )
        assert (installed / "lib" / "__init__.py").read_text() == "VERSION = '2.0'\n"
        assert (installed / "app" / "__init__.py").exists()
    finally:
        target.stop()
    print(f"mirror e2e: {time.monotonic() - started:.1f}s")
