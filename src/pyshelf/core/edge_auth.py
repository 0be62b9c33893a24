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
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

from pyshelf.core.routing import NO_STORE, Answer, Outcome, Request, route
from pyshelf.core.tokens import TokenRecord, token_key

Access = Literal["public", "private"]
ACCESS_MODES: tuple[Access, ...] = ("public", "private")
REALM = "pyshelf"
MAX_AUTHORIZATION = 1024  # characters of the Authorization header, scheme included
UNAUTHORIZED = Answer(401, headers=(("www-authenticate", f'Basic realm="{REALM}"'), NO_STORE))
_BASIC = re.compile(r"Basic +(\S*)", re.ASCII | re.IGNORECASE)
_PRINTABLE = re.compile(r"[ -~]*")


class TokenStore(Protocol):
    """The KeyValueStore as the edge reads it: the value of `key`, or None when absent."""

    def get(self, key: str) -> str | None: ...


@dataclass(frozen=True, slots=True)
class EdgeSettings:
    """The function's per-environment settings (route.js's `CONFIG` line)."""

    access: Access = "public"

    @classmethod
    def from_mapping(cls, settings: Mapping[str, object]) -> EdgeSettings:
        """Settings as `infra/cdn/function_code.py` writes them; a clear error otherwise."""
        access = settings.get("access", "public")
        if access == "public":
            return cls("public")
        if access == "private":
            return cls("private")
        raise ValueError(f"access must be one of {ACCESS_MODES}, not {access!r}")


def route_viewer(
    request: Request, settings: EdgeSettings, store: TokenStore | None, now: float
) -> Outcome:
    """Where a viewer request goes: `routing.route` for a public index; in a private one,
    401 without a usable read token, else routed within the token's scope. `now` is Unix
    seconds; a private index needs a `store`."""
    if settings.access == "public":
        return route(request)
    if store is None:
        raise ValueError("a private index needs a token store")
    token = authenticate(request.headers.get("authorization"), store, now)
    if token is None:
        return UNAUTHORIZED
    return route(request, token)


def authenticate(authorization: str | None, store: TokenStore, now: float) -> TokenRecord | None:
    """The record of the presented token when it may read the index at `now`, else None."""
    token = presented_token(authorization)
    if token is None:
        return None
    value = store.get(token_key(token))
    record = None if value is None else TokenRecord.decode(value)
    if record is None or "read" not in record.scopes or not record.usable_at(now):
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
