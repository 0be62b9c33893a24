"""Access tokens as the edge sees them (pure): the KeyValueStore record of a token, its scope,
and the checks the CloudFront Function (`infra/cdn/route.js`) and its Python twin make.

A token is a random secret shown once. The store never holds it: the record's key is
`token:<sha256 hex of the token>` and its value a compact JSON object (at most 1 KB, the
KeyValueStore's value limit):

    {"v": 1, "n": NAME, "c": CREATED, "e": EXPIRES or 0, "s": ["read", ...], "p": [GLOB, ...]}

`c` and `e` are Unix seconds (`e` 0: never expires). `s` lists what the token may do (`read`
the index, `upload` distributions). `p`, when present, limits the token to the projects whose
normalized names match one of its globs (`*` any run of characters, `?` one character); a
scoped token cannot read the root page.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, Literal

from pyshelf.core.errors import PyshelfError

TOKEN_KEY_PREFIX = "token:"
RECORD_VERSION = 1
MAX_VALUE_BYTES = 1024  # CloudFront KeyValueStore: a value is at most 1 KB
MAX_NAME_LENGTH = 64
MAX_GLOB_LENGTH = 100
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
GLOB = re.compile(r"^[a-z0-9*?](?:[a-z0-9*?-]*[a-z0-9*?])?$")
Scope = Literal["read", "upload"]
SCOPES: tuple[Scope, ...] = ("read", "upload")


class InvalidTokenRecord(PyshelfError, ValueError):
    """A token's name, scope or globs cannot be stored; the message says why."""


def token_key(token: str) -> str:
    """The store key of a token: its SHA-256, never the token itself."""
    return TOKEN_KEY_PREFIX + hashlib.sha256(token.encode("utf-8")).hexdigest()


def normalize_glob(glob: str) -> str:
    """A project glob in normalized-name form (PEP 503: runs of `-_.` are one `-`, lower case),
    so that it matches the normalized names the edge sees."""
    normalized = re.sub(r"[-_.]+", "-", glob.strip()).lower()
    if len(normalized) > MAX_GLOB_LENGTH or not GLOB.fullmatch(normalized):
        raise InvalidTokenRecord(
            f"project glob {glob!r}: use letters, digits, '-', '_', '.', '*' and '?', "
            f"at most {MAX_GLOB_LENGTH} characters, starting and ending with a letter, digit or "
            "wildcard"
        )
    return normalized


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenRecord:
    name: str
    created: int
    expires: int | None = None
    scopes: tuple[Scope, ...] = ("read",)
    projects: tuple[str, ...] | None = None  # normalized globs; None: every project

    def encode(self) -> str:
        """The store value; raises `InvalidTokenRecord` for anything the edge could not use."""
        self._check()
        document: dict[str, Any] = {
            "v": RECORD_VERSION,
            "n": self.name,
            "c": self.created,
            "e": self.expires or 0,
            "s": list(self.scopes),
        }
        if self.projects is not None:
            document["p"] = list(self.projects)
        value = json.dumps(document, separators=(",", ":"), sort_keys=True)
        if len(value.encode("utf-8")) > MAX_VALUE_BYTES:
            raise InvalidTokenRecord(
                f"token {self.name!r}: its record is {len(value.encode())} bytes, over the "
                f"store's {MAX_VALUE_BYTES}-byte value limit (use fewer or shorter project globs)"
            )
        return value

    def _check(self) -> None:
        if len(self.name) > MAX_NAME_LENGTH or not NAME.fullmatch(self.name):
            raise InvalidTokenRecord(
                f"token name {self.name!r}: letters, digits, '.', '_' and '-', starting with a "
                f"letter or digit, at most {MAX_NAME_LENGTH} characters"
            )
        if not self.scopes or any(scope not in SCOPES for scope in self.scopes):
            raise InvalidTokenRecord(f"token {self.name!r}: scopes must be some of {SCOPES}")
        if self.projects is not None:
            if not self.projects:
                raise InvalidTokenRecord(f"token {self.name!r}: an empty project list")
            for glob in self.projects:
                if normalize_glob(glob) != glob:
                    raise InvalidTokenRecord(f"project glob {glob!r} is not normalized")

    @classmethod
    def decode(cls, value: str) -> TokenRecord | None:
        """The record of a store value, or None for anything malformed (which denies)."""
        try:
            document = json.loads(value)
            if not isinstance(document, dict) or _number(document.get("v")) != RECORD_VERSION:
                return None
            projects = document.get("p")
            record = cls(
                name=_text(document["n"]),
                created=_number(document["c"]),
                expires=_number(document["e"]) or None,
                scopes=tuple(_scope(scope) for scope in _list(document["s"])),
                projects=None if projects is None else tuple(_text(p) for p in _list(projects)),
            )
            record._check()
        except (ValueError, KeyError, TypeError, OverflowError):
            return None
        return record

    def usable_at(self, now: float) -> bool:
        """Not expired at `now` (Unix seconds)."""
        return self.expires is None or now < self.expires

    def covers(self, project: str | None) -> bool:
        """True when the token's project scope reaches `project` (None: the root page, only
        for tokens without a project scope)."""
        if self.projects is None:
            return True
        if project is None:
            return False
        return any(fnmatchcase(project, glob) for glob in self.projects)


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(value)
    return value


def _number(value: object) -> int:
    """A non-negative whole number; JSON's `1.0` is one too (JavaScript cannot tell them apart,
    and the edge function must decide as this does)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise TypeError(value)
    if value != int(value):
        raise ValueError(value)
    return int(value)


def _list(value: object) -> list[object]:
    if not isinstance(value, list):
        raise TypeError(value)
    return value


def _scope(value: object) -> Scope:
    if value == "read":
        return "read"
    if value == "upload":
        return "upload"
    raise ValueError(value)
