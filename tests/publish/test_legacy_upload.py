"""The legacy upload API's checks and writes (pyshelf.publish.legacy_upload) on the memory
store, with forms encoded as requests encodes them (urllib3)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import pytest
from distbuild import metadata_text, sdist, wheel
from urllib3 import encode_multipart_formdata

from pyshelf.core.upload_grant import MAX_UPLOAD_BYTES, UploadGrant
from pyshelf.publish.legacy_upload import Reply, receive
from pyshelf.storage.base import SHA256_META
from pyshelf.storage.memory import MemoryStore

GRANT = UploadGrant("ci")
WHEEL_NAME = "hello_world-1.0-py3-none-any.whl"
KEY = f"hello-world/{WHEEL_NAME}"
WHEEL = wheel("Hello_World", "1.0")
UP_A_FOLDER = "../" + WHEEL_NAME  # not a filesystem path


def form(
    data: bytes = WHEEL,
    filename: str = WHEEL_NAME,
    *,
    digests: bool = True,
    fields: Mapping[str, str] | None = None,
) -> tuple[str, bytes]:
    """(Content-Type, body) of an upload as twine sends it; `fields` override or add fields
    (an empty value drops the field)."""
    values = {
        ":action": "file_upload",
        "protocol_version": "1",
        "name": "Hello_World",
        "version": "1.0",
        "filetype": "bdist_wheel" if filename.endswith(".whl") else "sdist",
        "pyversion": "py3",
        "metadata_version": "2.1",
    }
    if digests:
        values["sha256_digest"] = hashlib.sha256(data).hexdigest()
        values["md5_digest"] = hashlib.md5(data, usedforsecurity=False).hexdigest()
    values |= fields or {}
    pairs: list[tuple[str, object]] = [(k, v) for k, v in values.items() if v]
    pairs.append(("content", (filename, data, "application/octet-stream")))
    body, content_type = encode_multipart_formdata(pairs)  # type: ignore[arg-type]
    return content_type, body


def upload(store: MemoryStore, sent: tuple[str, bytes], grant: UploadGrant = GRANT) -> Reply:
    return receive(store, grant, *sent)


def test_a_wheel_is_stored_as_pyshelf_upload_stores_it(store: MemoryStore) -> None:
    assert upload(store, form()) == Reply(200, f"OK: {WHEEL_NAME} uploaded")
    stored = store.stored(KEY)
    assert stored is not None
    assert stored.body == WHEEL
    assert stored.content_type == "application/zip"
    assert stored.cache_control == "public, max-age=31536000, immutable"
    assert stored.metadata == {SHA256_META: hashlib.sha256(WHEEL).hexdigest()}


def test_an_sdist_is_stored(store: MemoryStore) -> None:
    data = sdist("Hello_World", "1.0")
    reply = upload(store, form(data, "hello_world-1.0.tar.gz"))
    assert reply.status == 200, reply
    stored = store.stored("hello-world/hello_world-1.0.tar.gz")
    assert stored is not None
    assert stored.body == data


def test_the_same_bytes_again_succeed_and_other_bytes_never_overwrite(store: MemoryStore) -> None:
    upload(store, form())
    again = upload(store, form())
    assert again == Reply(200, f"OK: {WHEEL_NAME} was already uploaded with the same content")
    other = wheel("Hello_World", "1.0", module="other")
    reply = upload(store, form(other))
    assert reply.status == 400
    assert reply.reason.startswith(f"File already exists ({WHEEL_NAME}) with other content")
    stored = store.stored(KEY)
    assert stored is not None
    assert stored.body == WHEEL


@pytest.mark.parametrize(("bytes_there", "status"), [(WHEEL, 200), (b"other bytes", 400)])
def test_a_file_put_there_by_other_means_is_compared_by_its_bytes(
    store: MemoryStore, bytes_there: bytes, status: int
) -> None:
    """`aws s3 cp` stores no sha256 metadata: the object is read and hashed."""
    store.put(KEY, bytes_there, content_type="application/zip")
    assert upload(store, form()).status == status
    stored = store.stored(KEY)
    assert stored is not None
    assert stored.body == bytes_there


def test_a_token_outside_its_project_scope_is_refused_before_the_file_is_read(
    store: MemoryStore,
) -> None:
    scoped = UploadGrant("acme", ("acme-*", "tools"))
    reply = upload(store, form(b"not even a zip"), scoped)
    assert reply == Reply(403, "Token 'acme' may not upload to project 'hello-world'")
    assert store.stored(KEY) is None
    acme = wheel("acme-lib", "1.0")
    sent = form(acme, "acme_lib-1.0-py3-none-any.whl", fields={"name": "acme-lib"})
    assert upload(store, sent, scoped).status == 200


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"sha256_digest": "0" * 64}, "The sha256_digest sent does not match the file's content"),
        ({"md5_digest": "0" * 32}, "The md5_digest sent does not match the file's content"),
        (
            {"blake2_256_digest": "0" * 64},
            "The blake2_256_digest sent does not match the file's content",
        ),
        ({"name": "Other"}, "Form name 'Other' does not match the file's project 'hello-world'"),
        ({"version": "2.0"}, "Form version 2.0 does not match the file's 1.0"),
        ({"version": "x.y"}, "Invalid version in the form: 'x.y'"),
        ({"version": ""}, "Missing name or version in the form"),
        ({"filetype": "sdist"}, "Form filetype 'sdist' does not match the file's 'bdist_wheel'"),
        ({":action": "doc_upload"}, "Unsupported :action 'doc_upload'"),
        ({":action": ""}, "Unsupported :action None"),
        ({"protocol_version": "2"}, "Unsupported protocol_version '2'"),
    ],
)
def test_a_form_that_disagrees_with_the_file_is_refused(
    store: MemoryStore, fields: Mapping[str, str], reason: str
) -> None:
    reply = upload(store, form(fields=fields))
    assert reply.status == 400
    assert reply.reason.startswith(reason), reply.reason
    assert store.stored(KEY) is None


def test_the_digests_are_compared_in_any_case(store: MemoryStore) -> None:
    sent = form(fields={"sha256_digest": hashlib.sha256(WHEEL).hexdigest().upper()})
    assert upload(store, sent).status == 200


def test_a_missing_sha256_is_refused(store: MemoryStore) -> None:
    reply = upload(store, form(digests=False))
    assert reply == Reply(400, "Missing sha256_digest: send the file's SHA-256")


@pytest.mark.parametrize(
    ("data", "filename", "reason"),
    [
        (b"garbage", WHEEL_NAME, f"Invalid distribution {WHEEL_NAME}: unreadable wheel"),
        (b"", WHEEL_NAME, f"Invalid distribution {WHEEL_NAME}: unreadable wheel: empty file"),
        (
            wheel("Hello_World", "1.0", metadata=metadata_text("Hello_World", "1.1")),
            WHEEL_NAME,
            f"Invalid distribution {WHEEL_NAME}: METADATA has version 1.1, the filename 1.0",
        ),
        (WHEEL, "hello_world-1.0.exe", "Invalid distribution file name"),
        (WHEEL, UP_A_FOLDER, "Invalid distribution file name"),
        (WHEEL, "simple-1.0-py3-none-any.whl", "Invalid distribution file name"),
    ],
)
def test_files_that_pyshelf_upload_refuses_are_refused(
    store: MemoryStore, data: bytes, filename: str, reason: str
) -> None:
    reply = upload(store, form(data, filename))
    assert reply.status == 400
    assert reply.reason.startswith(reason), reply.reason
    assert not list(store.list(""))


def test_a_form_without_exactly_one_content_file_is_refused(store: MemoryStore) -> None:
    content_type, body = form()
    no_file = body.replace(b'name="content"', b'name="contents"')
    reply = receive(store, GRANT, content_type, no_file)
    assert reply == Reply(400, "Invalid form: expected exactly one file, in the field 'content'")


def test_a_body_that_is_no_form_is_refused(store: MemoryStore) -> None:
    reply = receive(store, GRANT, "application/json", b"{}")
    assert reply.status == 400
    assert reply.reason.startswith("Invalid form: expected Content-Type multipart/form-data")


def test_a_body_over_the_limit_is_refused_unread(store: MemoryStore) -> None:
    reply = receive(store, GRANT, None, b"x" * (MAX_UPLOAD_BYTES + 1))
    assert reply.status == 413
    assert "use pyshelf upload (or aws s3 cp)" in reply.reason
