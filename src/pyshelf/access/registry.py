"""Create, list and revoke access tokens in a KeyValueStore, race-free.

Each token is two keys, always written and removed together in one UpdateKeys call:
`token:<sha256>` (the record the edge checks, `pyshelf.core.tokens`) and `token-name:<name>`
(its value the same hash), which makes names unique and lets `revoke NAME` find the record.
Every change reads the store's ETag first, then the keys it depends on, and writes with
If-Match on that ETag: a concurrent change of any key makes the write fail, and the whole
step is read again and retried, at most `attempts` times (`pyshelf.access.optimistic`).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pyshelf.access.optimistic import ATTEMPTS, Writes, write_planned
from pyshelf.access.store import KeyValueStore
from pyshelf.core.errors import PyshelfError
from pyshelf.core.tokens import TOKEN_KEY_PREFIX, Scope, TokenRecord, normalize_glob, token_key

NAME_KEY_PREFIX = "token-name:"
TOKEN_PREFIX = "pyshelf_"
SECRET_BYTES = 32  # 256 bits of entropy


class AccessError(PyshelfError, RuntimeError):
    """A token operation that cannot be done; the message says why (one line)."""


class TokenExists(AccessError):
    pass


class UnknownToken(AccessError):
    pass


class Contended(AccessError):
    """Every attempt lost the race against another writer."""


def new_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(SECRET_BYTES)


def _globs(projects: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(normalize_glob(glob) for glob in projects))


def name_key(name: str) -> str:
    return NAME_KEY_PREFIX + name


@dataclass(frozen=True, slots=True)
class Issued:
    token: str  # the secret: shown once, stored nowhere
    record: TokenRecord


@dataclass(frozen=True, slots=True)
class Listing:
    records: tuple[TokenRecord, ...]  # by name
    unreadable: int  # `token:` values the edge cannot decode (it denies them)


class TokenRegistry:
    def __init__(
        self,
        store: KeyValueStore,
        *,
        clock: Callable[[], float] = time.time,
        secret: Callable[[], str] = new_secret,
        attempts: int = ATTEMPTS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.store = store
        self.clock = clock
        self.secret = secret
        self.attempts = attempts
        self.sleep = sleep

    def create(
        self,
        name: str,
        *,
        lifetime: int | None,
        scopes: Iterable[Scope] = ("read",),
        projects: Iterable[str] | None = None,
    ) -> Issued:
        """A new token valid for `lifetime` seconds (None: no expiry). Raises
        `InvalidTokenRecord` before touching the store, `TokenExists` for a taken name."""
        now = int(self.clock())
        record = TokenRecord(
            name=name,
            created=now,
            expires=None if lifetime is None else now + lifetime,
            scopes=tuple(dict.fromkeys(scopes)),
            projects=None if projects is None else _globs(projects),
        )
        value = record.encode()
        token = self.secret()
        digest = token_key(token).removeprefix(TOKEN_KEY_PREFIX)

        def writes() -> Writes:
            if self.store.get(name_key(name)) is not None:
                raise TokenExists(f"a token named {name!r} exists (revoke it or pick a new name)")
            return Writes({token_key(token): value, name_key(name): digest})

        self._change(writes)
        return Issued(token, record)

    def revoke(self, name: str) -> None:
        """Remove the token named `name`; `UnknownToken` if there is none."""

        def writes() -> Writes:
            digest = self.store.get(name_key(name))
            if digest is None:
                raise UnknownToken(f"no token named {name!r}")
            record_key = TOKEN_KEY_PREFIX + digest
            deletes = (record_key,) if self.store.get(record_key) is not None else ()
            return Writes({}, (*deletes, name_key(name)))

        self._change(writes)

    def list(self) -> Listing:
        records, unreadable = [], 0
        for value in self.store.list(TOKEN_KEY_PREFIX).values():
            record = TokenRecord.decode(value)
            if record is None:
                unreadable += 1
            else:
                records.append(record)
        return Listing(tuple(sorted(records, key=lambda r: r.name)), unreadable)

    def _change(self, plan: Callable[[], Writes]) -> None:
        """Read the ETag, plan the writes from what is there now, write with If-Match."""
        if write_planned(self.store, plan, attempts=self.attempts, sleep=self.sleep) is None:
            raise Contended(
                f"the token store kept changing during {self.attempts} attempts: try again"
            )
