"""PyPI's legacy upload API (what `twine upload`, `uv publish` and `poetry publish` send): one
`multipart/form-data` POST per file, checked as `pyshelf upload` checks a file, then written
without ever overwriting. Shared by the upload Lambda (`lambdas/upload/handler.py`) and
`pyshelf serve`; the edge has checked the token and passes its grant (docs/publish.md).

In order, each refusal with PyPI's status code and a one-line reason:

1. the form parses, `:action` is `file_upload` (protocol 1), one `content` file;     400
2. the filename is a distribution's, of a project the token's globs cover;           400, 403
3. `sha256_digest` is sent and matches the bytes (`md5_digest`, `blake2_256_digest`
   too when sent);                                                                    400
4. the archive passes `publish.checks` (readable, metadata inside names the filename's
   project and version);                                                              400
5. the form's `name`, `version` and `filetype` agree with the file;                   400
6. written with If-None-Match: a file already there with the same bytes is a success
   (as `--skip-existing`), with other bytes `File already exists`.                    200, 400
"""

from __future__ import annotations

import hashlib
import hmac
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from pyshelf.core import layout
from pyshelf.core.errors import PyshelfError
from pyshelf.core.filenames import Distribution, NotADistribution, parse_distribution
from pyshelf.core.form_data import Form, FormError, parse_form
from pyshelf.core.upload_grant import MAX_UPLOAD_BYTES, TOO_LARGE, UploadGrant
from pyshelf.publish.checks import Checked, InvalidDistribution, check_stream
from pyshelf.storage.base import SHA256_META, NotFound, PreconditionFailed, Storage
from pyshelf.storage.hashing import hash_object

log = logging.getLogger(__name__)
WRITE_ATTEMPTS = 3
FILETYPES = {"wheel": "bdist_wheel", "sdist": "sdist"}
# The digests a client may send beside the file: (field, hash of the bytes).
DIGESTS: dict[str, Callable[[bytes], str]] = {
    "sha256_digest": lambda data: hashlib.sha256(data).hexdigest(),
    "md5_digest": lambda data: hashlib.md5(data, usedforsecurity=False).hexdigest(),
    "blake2_256_digest": lambda data: hashlib.blake2b(data, digest_size=32).hexdigest(),
}


@dataclass(frozen=True, slots=True)
class Reply:
    """The answer: a status code and a one-line plain-text reason."""

    status: int
    reason: str

    @property
    def body(self) -> bytes:
        return f"{self.reason}\n".encode()


class Refused(PyshelfError):
    """An upload the index does not take: its reply says why."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.reply = Reply(status, reason)


def receive(store: Storage, grant: UploadGrant, content_type: str | None, body: bytes) -> Reply:
    """Check and store one upload; every outcome is a `Reply` (storage failures raise)."""
    try:
        if len(body) > MAX_UPLOAD_BYTES:
            raise Refused(413, TOO_LARGE)
        form = _form(content_type, body)
        filename, data = _content(form)
        dist = _distribution(filename)
        if not grant.covers(dist.project):
            raise Refused(403, f"Token {grant.name!r} may not upload to project {dist.project!r}")
        _check_digests(form, data)
        checked = _checked(filename, data)
        _check_form_metadata(form, dist)
    except Refused as refused:
        log.info("upload refused (%d): %s", refused.reply.status, refused.reply.reason)
        return refused.reply
    for note in checked.notes:
        log.warning("upload %s: %s", filename, note)
    reply = _write(store, checked, data)
    log.info("upload by token %r: %s (%d)", grant.name, reply.reason, reply.status)
    return reply


def _form(content_type: str | None, body: bytes) -> Form:
    try:
        form = parse_form(content_type, body)
    except FormError as exc:
        raise Refused(400, f"Invalid form: {exc}") from None
    action = form.first(":action")
    if action != "file_upload":
        raise Refused(400, f"Unsupported :action {action!r}: this index takes file_upload only")
    protocol = form.first("protocol_version")
    if protocol not in (None, "1"):
        raise Refused(400, f"Unsupported protocol_version {protocol!r}: expected 1")
    return form


def _content(form: Form) -> tuple[str, bytes]:
    files = form.files.get("content", [])
    if len(files) != 1 or form.files.keys() - {"content"}:
        raise Refused(400, "Invalid form: expected exactly one file, in the field 'content'")
    return files[0].filename, files[0].data


def _distribution(filename: str) -> Distribution:
    try:
        return parse_distribution(filename)
    except NotADistribution as exc:
        raise Refused(400, f"Invalid distribution file name: {exc}") from None


def _check_digests(form: Form, data: bytes) -> None:
    if not (form.first("sha256_digest") or "").strip():
        raise Refused(400, "Missing sha256_digest: send the file's SHA-256")
    for field, digest in DIGESTS.items():
        sent = (form.first(field) or "").strip().lower()
        if sent and not hmac.compare_digest(sent, digest(data)):
            raise Refused(400, f"The {field} sent does not match the file's content")


def _checked(filename: str, data: bytes) -> Checked:
    try:
        return check_stream(filename, io.BytesIO(data))
    except InvalidDistribution as exc:
        raise Refused(400, f"Invalid distribution {filename}: {exc}") from None


def _check_form_metadata(form: Form, dist: Distribution) -> None:
    """The form's name, version and filetype against the file (whose metadata the checks
    already held to its filename)."""
    name, version = form.first("name"), form.first("version")
    if not name or not version:
        raise Refused(400, "Missing name or version in the form")
    if canonicalize_name(name) != dist.project:
        raise Refused(400, f"Form name {name!r} does not match the file's project {dist.project!r}")
    try:
        same = Version(version) == dist.version
    except InvalidVersion:
        raise Refused(400, f"Invalid version in the form: {version!r}") from None
    if not same:
        raise Refused(400, f"Form version {version} does not match the file's {dist.version}")
    filetype = form.first("filetype")
    if filetype is not None and filetype != FILETYPES[dist.kind]:
        expected = FILETYPES[dist.kind]
        raise Refused(400, f"Form filetype {filetype!r} does not match the file's {expected!r}")


def _write(store: Storage, checked: Checked, data: bytes) -> Reply:
    """Create the object; never replace one. Same bytes there already: a success."""
    filename = checked.dist.filename
    key = layout.distribution_key(checked.dist.project, filename)
    for _attempt in range(WRITE_ATTEMPTS):
        try:
            store.put(
                key,
                data,
                content_type=layout.distribution_content_type(filename),
                cache_control=layout.IMMUTABLE_CACHE_CONTROL,
                metadata={SHA256_META: checked.sha256},
                if_none_match=True,
            )
        except PreconditionFailed:
            try:
                remote = _stored_sha256(store, key)
            except (PreconditionFailed, NotFound):
                continue  # replaced or deleted while we looked: try again
            if remote is None:
                continue
            if remote == checked.sha256:
                return Reply(200, f"OK: {filename} was already uploaded with the same content")
            return Reply(
                400,
                f"File already exists ({filename}) with other content: pyshelf never "
                "overwrites a file; upload a new version",
            )
        else:
            return Reply(200, f"OK: {filename} uploaded")
    raise PreconditionFailed(f"{key} keeps changing; try again")


def _stored_sha256(store: Storage, key: str) -> str | None:
    """The stored object's sha256: its metadata, or read (uploaded by other means)."""
    head = store.head(key)
    if head is None:
        return None
    return head.sha256 or hash_object(store, key, head.etag).sha256
