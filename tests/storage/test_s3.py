"""What only S3Store on (moto) S3 can show: the requests of a multipart write, and that a failed
one leaves no upload behind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pyshelf.storage import PreconditionFailed
from pyshelf.storage.base import MIN_PART_SIZE
from pyshelf.storage.files import put_file
from pyshelf.storage.s3 import S3Store

BIG = b"a" * MIN_PART_SIZE


def _failing_parts() -> Iterator[bytes]:
    yield BIG
    raise KeyboardInterrupt  # not even an Exception: the upload is still aborted


def _pending(store: S3Store) -> list[object]:
    return list(store.client.list_multipart_uploads(Bucket=store.bucket).get("Uploads", []))


def test_put_parts_aborts_its_upload_on_any_failure(s3_store: S3Store) -> None:
    s3_store.put("k", b"there", content_type="text/plain")
    with pytest.raises(PreconditionFailed):
        s3_store.put_parts("k", [BIG, b"x"], content_type="text/plain", if_none_match=True)
    assert _pending(s3_store) == []
    with pytest.raises(ValueError, match="part 1 has 5 bytes"):
        s3_store.put_parts("k", [b"small", b"x"], content_type="text/plain")
    assert _pending(s3_store) == []
    with pytest.raises(KeyboardInterrupt):
        s3_store.put_parts("k", _failing_parts(), content_type="text/plain")
    assert _pending(s3_store) == []


def test_put_parts_sends_each_part_as_it_comes(s3_store: S3Store) -> None:
    calls: list[str] = []
    s3_store.client.meta.events.register(
        "before-call.s3", lambda model, **_: calls.append(model.name)
    )

    def parts() -> Iterator[bytes]:
        for part in (BIG, BIG, b"tail"):
            calls.append("next part")
            yield part

    s3_store.put_parts("k", parts(), content_type="text/plain")
    assert calls == [
        "CreateMultipartUpload",
        "next part",
        "UploadPart",
        "next part",
        "UploadPart",
        "next part",
        "UploadPart",
        "CompleteMultipartUpload",
    ]


def test_put_file_reports_progress_once_each_part_is_uploaded(
    s3_store: S3Store, tmp_path: Path
) -> None:
    path = tmp_path / "big"
    path.write_bytes(BIG + b"tail")
    calls: list[str] = []
    s3_store.client.meta.events.register(
        "after-call.s3", lambda model, **_: calls.append(model.name)
    )
    put_file(
        s3_store, "k", path, content_type="text/plain", part_size=MIN_PART_SIZE,
        multipart_threshold=1, advance=lambda size: calls.append(f"advance {size}"),
    )  # fmt: skip
    assert calls == [
        "CreateMultipartUpload",
        "UploadPart",
        f"advance {MIN_PART_SIZE}",
        "UploadPart",
        "advance 4",
        "CompleteMultipartUpload",
    ]
