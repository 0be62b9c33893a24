"""One contract for every `Storage`: MemoryStore and S3Store on moto must agree on all of it."""

from __future__ import annotations

import gzip
import hashlib
import io
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from pyshelf.storage import Blob, Head, NotFound, ObjectInfo, PreconditionFailed
from pyshelf.storage.base import MIN_PART_SIZE
from storage.conftest import Subject

TYPE = "application/zip"
IMMUTABLE = "public, max-age=31536000, immutable"
BIG = b"a" * MIN_PART_SIZE


def md5_etag(body: bytes) -> str:
    return f'"{hashlib.md5(body).hexdigest()}"'


def multipart_etag(*parts: bytes) -> str:
    digests = b"".join(hashlib.md5(part).digest() for part in parts)
    return f'"{hashlib.md5(digests).hexdigest()}-{len(parts)}"'


def test_put_is_read_back_by_every_method(subject: Subject) -> None:
    store = subject.store
    before = datetime.now(UTC).replace(microsecond=0)
    etag = store.put("p/a.whl", b"wheel", content_type=TYPE, metadata={"sha256": "abc"})
    after = datetime.now(UTC)
    assert etag == md5_etag(b"wheel")
    assert store.head("p/a.whl") == Head(etag, "abc")
    assert store.head("p/a.whl").size == 5  # type: ignore[union-attr]
    assert store.get("p/a.whl") == Blob(b"wheel", etag)
    (row,) = store.list("p/")
    assert (row.key, row.etag, row.size) == ("p/a.whl", etag, 5)
    assert before <= row.last_modified <= after
    assert subject.headers("p/a.whl") == (TYPE, None, {"sha256": "abc"})


def test_headers_and_metadata_are_kept(subject: Subject) -> None:
    subject.store.put("p/i.html", b"<html/>", content_type="text/html", cache_control="no-store")
    assert subject.headers("p/i.html") == ("text/html", "no-store", {})
    assert subject.store.head("p/i.html") == Head(md5_etag(b"<html/>"), None)


def test_content_encoding_is_stored_and_the_body_kept_as_sent(subject: Subject) -> None:
    coded = gzip.compress(b'{"name": "p"}', mtime=0)
    subject.store.put("p/index.json.gz", coded, content_type=TYPE, content_encoding="gzip")
    subject.store.put("p/index.json", b"{}", content_type=TYPE)
    assert subject.content_encoding("p/index.json.gz") == "gzip"
    assert subject.content_encoding("p/index.json") is None
    blob = subject.store.get("p/index.json.gz")
    assert blob is not None
    assert blob.body == coded  # never decoded on the way in or out


def test_download_streams_the_object_and_tells_what_it_read(subject: Subject) -> None:
    store = subject.store
    etag = store.put("k", b"body", content_type=TYPE)
    (row,) = store.list("k")
    into = io.BytesIO()
    assert store.download("k", into, if_match=etag) == row
    assert into.getvalue() == b"body"
    anyway = io.BytesIO()
    assert store.download("k", anyway, if_match=None) == ObjectInfo("k", etag, 4, row.last_modified)
    assert anyway.getvalue() == b"body"


def test_download_of_a_changed_object_fails_and_writes_nothing(subject: Subject) -> None:
    store = subject.store
    old = store.put("k", b"old", content_type=TYPE)
    store.put("k", b"new", content_type=TYPE)
    into = io.BytesIO()
    with pytest.raises(PreconditionFailed):
        store.download("k", into, if_match=old)
    assert into.getvalue() == b""


def test_get_unless_sends_no_body_while_the_version_is_the_one_named(subject: Subject) -> None:
    store = subject.store
    old = store.put("k", b"old", content_type=TYPE)
    assert store.get_unless("k", old) == Blob(b"", old, unchanged=True)
    new = store.put("k", b"new", content_type=TYPE)
    assert store.get_unless("k", old) == Blob(b"new", new)
    assert store.get_unless("k", None) == Blob(b"new", new)
    assert store.get_unless("gone", old) is None


def test_missing_objects(subject: Subject) -> None:
    store = subject.store
    assert store.head("gone") is None
    assert store.get("gone") is None
    assert list(store.list("gone")) == []
    for if_match in (None, '"0123"'):
        with pytest.raises(NotFound):
            store.download("gone", io.BytesIO(), if_match=if_match)
    with pytest.raises(NotFound):
        store.put("gone", b"x", content_type=TYPE, if_match='"0123"')
    with pytest.raises(NotFound):
        store.put_parts("gone", [b"x"], content_type=TYPE, if_match='"0123"')
    with pytest.raises(NotFound):
        store.copy("gone", "target")
    store.delete("gone")  # no error, like S3
    assert list(store.list("")) == []


def test_listing_is_by_prefix_in_key_order(subject: Subject) -> None:
    store = subject.store
    keys = ["b/2", "a/é", "a/z", "a/b/c", "ab", "a/", "a/B"]
    for key in keys:
        store.put(key, key.encode(), content_type=TYPE)
    assert [row.key for row in store.list("a/")] == ["a/", "a/B", "a/b/c", "a/z", "a/é"]
    assert [row.key for row in store.list("a")] == ["a/", "a/B", "a/b/c", "a/z", "a/é", "ab"]
    assert [row.key for row in store.list("")] == sorted(keys)
    assert {row.key: row.size for row in store.list("")} == {k: len(k.encode()) for k in keys}


def test_if_none_match_only_creates(subject: Subject) -> None:
    store = subject.store
    etag = store.put("k", b"first", content_type=TYPE, if_none_match=True)
    with pytest.raises(PreconditionFailed):
        store.put("k", b"second", content_type=TYPE, if_none_match=True)
    assert store.get("k") == Blob(b"first", etag)


def test_if_match_replaces_only_the_version_seen(subject: Subject) -> None:
    store = subject.store
    first = store.put("k", b"first", content_type=TYPE)
    second = store.put("k", b"second", content_type=TYPE, if_match=first)
    with pytest.raises(PreconditionFailed):
        store.put("k", b"third", content_type=TYPE, if_match=first)
    assert store.get("k") == Blob(b"second", second)


def test_later_writes_are_not_older(subject: Subject) -> None:
    store = subject.store
    store.put("k", b"1", content_type=TYPE)
    (first,) = store.list("k")
    store.put("k", b"2", content_type=TYPE)
    (second,) = store.list("k")
    assert first.last_modified <= second.last_modified
    assert second.last_modified.utcoffset() == timedelta(0)


def test_copy_only_to_a_free_key_with_body_and_headers(subject: Subject) -> None:
    store = subject.store
    etag = store.put("src", b"data", content_type=TYPE, cache_control=IMMUTABLE)
    assert store.copy("src", "dst") == etag  # a single PUT's ETag is its MD5, kept by a copy
    assert store.get("dst") == Blob(b"data", etag)
    assert subject.headers("dst") == (TYPE, IMMUTABLE, {})
    taken = store.put("taken", b"other", content_type=TYPE)
    with pytest.raises(PreconditionFailed):
        store.copy("src", "taken")
    assert store.get("taken") == Blob(b"other", taken)
    assert store.get("src") == Blob(b"data", etag)


def test_copy_keeps_user_metadata(subject: Subject) -> None:
    subject.store.put("src", b"data", content_type=TYPE, metadata={"sha256": "abc"})
    subject.store.copy("src", "dst")
    assert subject.store.head("dst") == Head(md5_etag(b"data"), "abc")


def test_delete(subject: Subject) -> None:
    store = subject.store
    store.put("k", b"x", content_type=TYPE)
    store.put("k2", b"y", content_type=TYPE)
    store.delete("k")
    assert store.head("k") is None
    assert [row.key for row in store.list("")] == ["k2"]
    store.delete("k")


def test_put_parts_joins_the_parts_with_a_multipart_etag(subject: Subject) -> None:
    store = subject.store
    etag = store.put_parts(
        "big", iter([BIG, b"tail"]), content_type=TYPE, cache_control=IMMUTABLE,
        metadata={"sha256": "abc"},
    )  # fmt: skip
    assert etag == multipart_etag(BIG, b"tail")
    assert store.get("big") == Blob(BIG + b"tail", etag)
    assert store.head("big") == Head(etag, "abc")
    assert subject.headers("big") == (TYPE, IMMUTABLE, {"sha256": "abc"})
    assert [(row.key, row.etag, row.size) for row in store.list("")] == [
        ("big", etag, len(BIG) + 4)
    ]
    assert store.put_parts("one", [b"x"], content_type=TYPE) == multipart_etag(b"x")


def test_put_parts_completes_only_under_its_condition(subject: Subject) -> None:
    store = subject.store
    first = store.put("k", b"first", content_type=TYPE)
    with pytest.raises(PreconditionFailed):
        store.put_parts("k", [BIG, b"x"], content_type=TYPE, if_none_match=True)
    with pytest.raises(PreconditionFailed):
        store.put_parts("k", [BIG, b"x"], content_type=TYPE, if_match='"0123"')
    assert store.get("k") == Blob(b"first", first)
    second = store.put_parts("k", [BIG, b"y"], content_type=TYPE, if_match=first)
    assert store.get("k") == Blob(BIG + b"y", second)
    created = store.put_parts("new", [b"z"], content_type=TYPE, if_none_match=True)
    assert store.get("new") == Blob(b"z", created)


def _failing_parts() -> Iterator[bytes]:
    yield BIG
    raise RuntimeError("disk read failed")


@pytest.mark.parametrize(
    ("parts", "error"),
    [
        (lambda: [b"small", b"tail"], ValueError),  # every part but the last: MIN_PART_SIZE
        (list, ValueError),  # no parts
        (_failing_parts, RuntimeError),
    ],
)
def test_put_parts_writes_nothing_when_it_fails(
    subject: Subject, parts: Callable[[], Iterable[bytes]], error: type[Exception]
) -> None:
    store = subject.store
    etag = store.put("k", b"kept", content_type=TYPE)
    with pytest.raises(error):
        store.put_parts("k", parts(), content_type=TYPE)
    with pytest.raises(error):
        store.put_parts("fresh", parts(), content_type=TYPE)
    assert store.get("k") == Blob(b"kept", etag)
    assert store.head("fresh") is None
