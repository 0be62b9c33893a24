"""The upload core (pyshelf.publish.transfer): multipart with conditional completion, races."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest
from distbuild import metadata_text

from cli.helpers import BUCKET
from pyshelf.cli.progress import Progress, line
from pyshelf.core.layout import distribution_content_type as content_type
from pyshelf.publish.checks import check
from pyshelf.publish.transfer import Action, Planned, Uploader
from pyshelf.storage import Blob
from pyshelf.storage.memory import MemoryStore
from pyshelf.storage.s3 import S3Store

MiB = 1024 * 1024


def md5_etag(body: bytes) -> str:
    return f'"{hashlib.md5(body).hexdigest()}"'


def _big_wheel(folder: Path, payload: bytes) -> Path:
    """A valid wheel carrying an incompressible payload (several MiB)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("big/data.bin", payload)
        archive.writestr("big-1.0.dist-info/METADATA", metadata_text("big", "1.0"))
    path = folder / "big-1.0-py3-none-any.whl"
    path.write_bytes(buffer.getvalue())
    return path


def test_large_files_go_multipart_with_headers_and_progress(
    shelf: S3Store, s3: Any, tmp_path: Path
) -> None:
    local = check(_big_wheel(tmp_path, os.urandom(11 * MiB)))
    uploader = Uploader(shelf, part_size=5 * MiB, multipart_threshold=6 * MiB)
    steps: list[int] = []
    plan = uploader.plan_one(local, overwrite=False)
    assert uploader.send(plan, steps.append).action is Action.UPLOAD
    assert steps == [5 * MiB, 5 * MiB, local.size - 10 * MiB]
    head = s3.head_object(Bucket=BUCKET, Key=local.key)
    assert head["ETag"].endswith('-3"'), "three parts"
    assert head["ContentType"] == "application/zip"
    assert head["CacheControl"] == "public, max-age=31536000, immutable"
    assert head["Metadata"] == {"sha256": local.sha256}
    assert s3.get_object(Bucket=BUCKET, Key=local.key)["Body"].read() == local.path.read_bytes()


def test_multipart_completion_never_replaces_a_file_that_appeared_meanwhile(
    shelf: S3Store, s3: Any, tmp_path: Path
) -> None:
    local = check(_big_wheel(tmp_path, os.urandom(6 * MiB)))
    uploader = Uploader(shelf, part_size=5 * MiB, multipart_threshold=1)
    planned = uploader.plan_one(local, overwrite=False)
    s3.put_object(Bucket=BUCKET, Key=local.key, Body=b"someone else's bytes")
    outcome = uploader.send(planned, lambda _n: None)
    assert outcome.action is Action.CONFLICT
    assert s3.get_object(Bucket=BUCKET, Key=local.key)["Body"].read() == b"someone else's bytes"
    assert s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []


@pytest.mark.parametrize("threshold", [1, 1 << 40], ids=["multipart", "single put"])
def test_overwrite_never_replaces_a_version_it_did_not_see(tmp_path: Path, threshold: int) -> None:
    """--overwrite replaces the bytes it planned against (If-Match), not newer ones. On the
    memory store: moto ignores If-Match on CompleteMultipartUpload (tests/storage/conftest.py)."""
    store = MemoryStore(BUCKET)
    local = check(_big_wheel(tmp_path, os.urandom(6 * MiB)))
    store.put(local.key, b"old bytes", content_type="application/zip")
    uploader = Uploader(store, part_size=5 * MiB, multipart_threshold=threshold)
    planned = uploader.plan_one(local, overwrite=True)
    assert planned.action is Action.OVERWRITE
    store.put(local.key, b"newer bytes", content_type="application/zip")
    assert uploader.send(planned, lambda _n: None).action is Action.CONFLICT
    assert store.get(local.key) == Blob(b"newer bytes", md5_etag(b"newer bytes"))
    assert uploader.send(uploader.plan_one(local, overwrite=True), lambda _n: None).action is (
        Action.OVERWRITE
    )
    stored = store.get(local.key)
    assert stored is not None
    assert stored.body == local.path.read_bytes()


def test_single_put_race_ends_in_skip_when_the_same_bytes_won(
    shelf: S3Store, s3: Any, tmp_path: Path
) -> None:
    local = check(_big_wheel(tmp_path, b"small"))
    uploader = Uploader(shelf)
    planned = uploader.plan_one(local, overwrite=False)
    uploader.send(planned, lambda _n: None)
    assert uploader.send(Planned(local, Action.UPLOAD), lambda _n: None).action is Action.SKIP


def test_content_types() -> None:
    assert content_type("a-1.0-py3-none-any.whl") == "application/zip"
    assert content_type("a-1.0.zip") == "application/zip"
    assert content_type("a-1.0.tar.gz") == "application/octet-stream"


def test_progress_line_and_terminal_only() -> None:
    text = line(index=2, count=3, name="a.whl", done=1, size=4, total_done=5, total=10)
    assert text == "[2/3] a.whl  25% of 0.0 MiB | overall  50%"
    quiet = io.StringIO()
    progress = Progress.for_terminal(quiet, count=1, total=4)
    progress.start("a.whl", 4)
    progress.advance(4)
    progress.finish()
    assert quiet.getvalue() == ""

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    shown = Terminal()
    progress = Progress.for_terminal(shown, count=1, total=4)
    progress.start("a.whl", 4)
    progress.advance(4)
    assert shown.getvalue().endswith("[1/1] a.whl 100% of 0.0 MiB | overall 100%")
