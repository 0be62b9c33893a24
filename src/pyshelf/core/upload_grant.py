"""The legacy upload endpoint as the edge and the upload handler share it (pure): its path, the
largest body it takes, the answers the edge gives, and the grant the edge passes on.

The edge (`infra/cdn/route.js`, twin `pyshelf.core.edge_auth.route_upload`) checks the upload
token against the KeyValueStore, then replaces the request's `Authorization` with
`GRANT_HEADER`: the token's name and project globs as compact JSON, `{"n":NAME}` or
`{"n":NAME,"p":[GLOB,...]}`. A viewer's own copy of that header is overwritten, and the origin
takes requests from the edge only (docs/publish.md), so the handler can trust it. The project
scope is checked by the handler: only it reads the form, which names the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fnmatch import fnmatchcase

from pyshelf.constants import MAX_UPLOAD_BYTES, UPLOAD_GRANT_HEADER, UPLOAD_URI
from pyshelf.core.tokens import GLOB, NAME, TokenRecord

__all__ = ["MAX_UPLOAD_BYTES", "UPLOAD_URI", "UploadGrant", "is_upload_path"]
# Under `/-/`, which no project name can start with (names begin with a letter or digit).
UPLOAD_PATHS = frozenset({UPLOAD_URI.rstrip("/"), UPLOAD_URI})
GRANT_HEADER = UPLOAD_GRANT_HEADER
TOO_LARGE = (
    f"Upload larger than {MAX_UPLOAD_BYTES} bytes: use pyshelf upload (or aws s3 cp) "
    "for large files"
)
BAD_TOKEN = "Invalid or non-existent upload token (user __token__, a token with upload scope)"
WEB_PAGE = "Uploads from web pages (an Origin header) are refused"
NOT_POST = "Upload with POST"


def is_upload_path(uri: str) -> bool:
    return uri in UPLOAD_PATHS


@dataclass(frozen=True, slots=True)
class UploadGrant:
    """What the edge verified: the upload token's name and project globs (None: any)."""

    name: str
    projects: tuple[str, ...] | None = None

    @classmethod
    def of(cls, record: TokenRecord) -> UploadGrant:
        return cls(record.name, record.projects)

    def header(self) -> str:
        document: dict[str, object] = {"n": self.name}
        if self.projects is not None:
            document["p"] = list(self.projects)
        return json.dumps(document, separators=(",", ":"), sort_keys=True)

    @classmethod
    def decode(cls, value: str | None) -> UploadGrant | None:
        """The grant in a header value; None for anything malformed (the handler refuses)."""
        try:
            document = json.loads(value or "")
        except ValueError:
            return None
        if not isinstance(document, dict) or set(document) - {"n", "p"}:
            return None
        name, projects = document.get("n"), document.get("p", ())
        if not isinstance(name, str) or not NAME.fullmatch(name):
            return None
        if projects == ():
            return cls(name)
        valid = (
            isinstance(projects, list)
            and bool(projects)
            and all(isinstance(glob, str) and GLOB.fullmatch(glob) for glob in projects)
        )
        return cls(name, tuple(projects)) if valid else None

    def covers(self, project: str) -> bool:
        """The grant reaches `project` (a normalized name)."""
        return self.projects is None or any(fnmatchcase(project, g) for g in self.projects)
