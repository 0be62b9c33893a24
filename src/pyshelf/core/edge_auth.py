"""The private index's check at the edge (pure): the Python twin of the token check in
`infra/cdn/route.js`; both pass every case of `infra/cdn/auth_cases.json`.

In a private index every request (pages and files alike) carries `Authorization: Basic`; the
token is the password (any user name, `__token__` by convention) or, when the password is
empty, the user name (pip's `https://TOKEN@host/` sends `TOKEN:`). The header must be at most
`MAX_AUTHORIZATION` characters of canonical base64 over printable ASCII `user:password`. The
token's store record (`pyshelf.core.tokens`) must decode, be unexpired and carry the `read`
scope; anything else is 401 with a Basic challenge. Then `routing.route` routes as in a public
index, answering 403 outside the token's project scope.

The store is keyed by the token's SHA-256, so no secret is ever compared here (no timing
channel to guard); and the token is never logged.

Fall-through (`EdgeSettings.upstream`, docs/fallthrough.md): the same store holds the private
names, `project:<normalized name>` (value `live`, or `reserved` once its last file is gone).
A project page of a name that has no such key and matches no `EdgeSettings.reserved` glob is
redirected upstream, after the token check; a store error keeps the name here (fail closed).

Uploads (`/-/upload/`, public and private index alike; docs/publish.md, `route_upload`): POST
only, no `Origin` (a web page must not publish), a Content-Length within
`upload_grant.MAX_UPLOAD_BYTES` when given, and a usable token with the `upload` scope, whose
grant replaces `Authorization` on the way to the origin. Each refusal has a short reason.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Literal, Protocol
from urllib.parse import urlsplit

from pyshelf.core import upload_grant
from pyshelf.core.routing import NO_STORE, Answer, Fallthrough, Forward, Outcome, Request, route
from pyshelf.core.tokens import (
    InvalidTokenRecord,
    Scope,
    TokenRecord,
    normalize_glob,
    token_key,
)
from pyshelf.core.upload_grant import UploadGrant, is_upload_path

Access = Literal["public", "private"]
ACCESS_MODES: tuple[Access, ...] = ("public", "private")
REALM = "pyshelf"
MAX_AUTHORIZATION = 1024  # characters of the Authorization header, scheme included
UNAUTHORIZED = Answer(401, headers=(("www-authenticate", f'Basic realm="{REALM}"'), NO_STORE))
_BASIC = re.compile(r"Basic +(\S*)", re.ASCII | re.IGNORECASE)
_PRINTABLE = re.compile(r"[ -~]*")
PROJECT_KEY_PREFIX = "project:"
PROJECT_STATES = ("live", "reserved")  # what the indexer writes; any value keeps a name here
SETTINGS = ("access", "upstream", "reserved")
MAX_UPSTREAM_LENGTH = 200
# https, a host name (no user info), an optional port, a path of URL-safe segments ending in /.
_UPSTREAM = re.compile(
    r"https://[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?"
    r"/(?:[A-Za-z0-9._~!$&'()*+,;=:@%-]+/)*"
)
log = logging.getLogger(__name__)


def project_key(project: str) -> str:
    """The store key that marks a normalized project name as private."""
    return PROJECT_KEY_PREFIX + project


class TokenStore(Protocol):
    """The KeyValueStore as the edge reads it: the value of `key`, or None when absent; any
    exception is a store failure (for a `project:` key: the name stays here)."""

    def get(self, key: str) -> str | None: ...


@dataclass(frozen=True, slots=True)
class EdgeSettings:
    """The function's per-environment settings (route.js's `CONFIG` line). `upstream`: where
    project pages of names that are not private go (None: nowhere, every name is served here);
    `reserved`: normalized globs of names that never fall through, private or not."""

    access: Access = "public"
    upstream: str | None = None
    reserved: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.access not in ACCESS_MODES:
            raise ValueError(f"access must be one of {ACCESS_MODES}, not {self.access!r}")
        if self.upstream is not None:
            _check_upstream(self.upstream)
        for glob in self.reserved:
            _check_reserved(glob)
        if self.reserved and self.upstream is None:
            raise ValueError("reserved globs only matter with an upstream: set upstream too")

    @classmethod
    def from_mapping(cls, settings: Mapping[str, object]) -> EdgeSettings:
        """Settings as `infra/cdn/function_code.py` writes them; a clear error otherwise."""
        unknown = sorted(set(settings) - set(SETTINGS))
        if unknown:
            raise ValueError(f"unknown edge settings {unknown}: the known ones are {SETTINGS}")
        access = settings.get("access", "public")
        if access not in ACCESS_MODES:
            raise ValueError(f"access must be one of {ACCESS_MODES}, not {access!r}")
        upstream = settings.get("upstream")
        if upstream is not None and not isinstance(upstream, str):
            raise ValueError(f"upstream must be a URL string, not {upstream!r}")
        reserved = settings.get("reserved", [])
        if not isinstance(reserved, Sequence) or isinstance(reserved, str):
            raise ValueError(f"reserved must be a list of project globs, not {reserved!r}")
        return cls(
            "private" if access == "private" else "public",
            upstream,
            tuple(_text_glob(glob) for glob in reserved),
        )

    def to_mapping(self) -> dict[str, object]:
        """The `CONFIG` form (`from_mapping` reads it back); absent settings are left out."""
        mapping: dict[str, object] = {"access": self.access}
        if self.upstream is not None:
            mapping["upstream"] = self.upstream
        if self.reserved:
            mapping["reserved"] = list(self.reserved)
        return mapping


def _check_upstream(upstream: str) -> None:
    """An https URL ending in `/`, without credentials, query or fragment: the redirect's
    Location is `upstream + <normalized name> + "/"`, and every client sees it."""
    parts = urlsplit(upstream)
    if parts.scheme != "https":
        raise ValueError(f"upstream must be an https:// URL, not {upstream!r}")
    if "@" in parts.netloc:
        raise ValueError("upstream must not carry credentials: every client would receive them")
    if parts.query or parts.fragment or "?" in upstream or "#" in upstream:
        raise ValueError(f"upstream must have no query or fragment: {upstream!r}")
    if not upstream.endswith("/"):
        raise ValueError(f"upstream must end with '/' (the project name follows): {upstream!r}")
    if len(upstream) > MAX_UPSTREAM_LENGTH or not _UPSTREAM.fullmatch(upstream):
        raise ValueError(
            f"upstream {upstream!r}: expected https://HOST[:PORT]/PATH/ of URL-safe characters, "
            f"at most {MAX_UPSTREAM_LENGTH} characters"
        )


def _text_glob(glob: object) -> str:
    if not isinstance(glob, str):
        raise ValueError(f"reserved globs are strings, not {glob!r}")
    return glob


def _check_reserved(glob: str) -> None:
    try:
        normalized = normalize_glob(glob)
    except InvalidTokenRecord as exc:
        raise ValueError(f"reserved {exc}") from None
    if normalized != glob:
        raise ValueError(f"reserved glob {glob!r} is not normalized: write {normalized!r}")


def route_viewer(
    request: Request, settings: EdgeSettings, store: TokenStore | None, now: float
) -> Outcome:
    """Where a viewer request goes: `routing.route` for a public index; in a private one,
    401 without a usable read token, else routed within the token's scope. With an upstream,
    project pages of names that are not local fall through. `now` is Unix seconds; a private
    index, or one with an upstream, needs the `store`. Uploads go by `route_upload`."""
    if is_upload_path(request.uri):
        return route_upload(request, store, now)
    if settings.access == "private" and store is None:
        raise ValueError("a private index needs a token store")
    fallthrough = None
    if settings.upstream is not None:
        if store is None:
            raise ValueError("falling through to an upstream needs the store of private names")
        fallthrough = Fallthrough(settings.upstream, _local_names(settings.reserved, store))
    if settings.access == "public" or store is None:
        return route(request, None, fallthrough)
    token = authenticate(request.headers.get("authorization"), store, now)
    if token is None:
        return UNAUTHORIZED
    return route(request, token, fallthrough)


def _local_names(reserved: tuple[str, ...], store: TokenStore) -> Callable[[str], bool]:
    """Whether a normalized name is served here: a reserved glob matches, the store has its
    `project:` key (any value), or the store cannot say (an error: fail closed)."""

    def is_local(project: str) -> bool:
        if any(fnmatchcase(project, glob) for glob in reserved):
            return True
        key = project_key(project)
        try:
            return store.get(key) is not None
        except Exception as exc:
            log.warning("edge: cannot read %s (%s); serving it here, not upstream", key, exc)
            return True

    return is_local


_CONTENT_LENGTH = re.compile(r"[0-9]{1,10}")


def route_upload(request: Request, store: TokenStore | None, now: float) -> Outcome:
    """An upload: forwarded to `UPLOAD_URI` with the token's grant, or refused with a reason.
    Without a store (a public index that keeps none) no token is usable."""
    if request.method != "POST":
        return _refused(405, upload_grant.NOT_POST, ("allow", "POST"))
    if "origin" in request.headers:
        return _refused(403, upload_grant.WEB_PAGE)
    length = request.headers.get("content-length")
    if length is not None and not (
        _CONTENT_LENGTH.fullmatch(length) and int(length) <= upload_grant.MAX_UPLOAD_BYTES
    ):
        return _refused(413, upload_grant.TOO_LARGE)
    authorization = request.headers.get("authorization")
    record = None if store is None else authenticate(authorization, store, now, "upload")
    if record is None:
        return _refused(403, upload_grant.BAD_TOKEN)
    return Forward(upload_grant.UPLOAD_URI, upload=UploadGrant.of(record).header())


def _refused(status: int, reason: str, *headers: tuple[str, str]) -> Answer:
    text = ("content-type", "text/plain; charset=utf-8")
    return Answer(status, headers=(*headers, NO_STORE, text), reason=reason)


def authenticate(
    authorization: str | None, store: TokenStore, now: float, scope: Scope = "read"
) -> TokenRecord | None:
    """The record of the presented token when it has `scope` at `now`, else None."""
    token = presented_token(authorization)
    if token is None:
        return None
    try:
        value = store.get(token_key(token))
    except Exception:  # as route.js: a store that cannot answer denies (401)
        return None
    record = None if value is None else TokenRecord.decode(value)
    if record is None or scope not in record.scopes or not record.usable_at(now):
        return None
    return record


def presented_token(authorization: str | None) -> str | None:
    """The token of a Basic Authorization header, or None when there is none or the header is
    malformed (too long, another scheme, not canonical base64, not printable ASCII, no colon)."""
    credentials = _basic_credentials(authorization)
    if credentials is None:
        return None
    user, colon, password = credentials.partition(":")
    if not colon:
        return None
    return password or user or None


def _basic_credentials(authorization: str | None) -> str | None:
    """The decoded `user:password` text of a well-formed Basic header, else None."""
    if authorization is None or len(authorization) > MAX_AUTHORIZATION:
        return None
    match = _BASIC.fullmatch(authorization)
    if match is None:
        return None
    encoded = match.group(1)
    try:
        decoded = base64.b64decode(encoded, validate=True)
    except ValueError:  # binascii.Error, or non-ASCII text
        return None
    text = decoded.decode("latin-1")
    canonical = base64.b64encode(decoded).decode("ascii") == encoded
    return text if canonical and _PRINTABLE.fullmatch(text) else None
