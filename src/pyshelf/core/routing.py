"""The CDN's routing rules (pure): a viewer request becomes an origin URI or an answer.

This is the Python twin of the CloudFront Function `infra/cdn/route.js`; both must pass every case
of `infra/cdn/routing_cases.json`. Rules:

- `/simple/` is an alias of `/`: it is stripped before routing (and kept in redirects).
- `/` is the root page; `/<project>/` a project page; `/<project>/<file>` a file. Anything deeper,
  or with an empty segment, is 404; so is any URI with an encoded slash (`%2F`, any case), which
  the origin would decode into a deeper key.
- A page URI is rewritten to `index.json` or `index.html` by content negotiation: `?format=` first
  (a media type, or `json` / `html`), then the Accept header's q-values; JSON wins ties, HTML is
  the default. The JSON page goes to its gzip variant `index.json.gz` (stored with
  `Content-Encoding: gzip`) when Accept-Encoding accepts gzip: `gzip` or `x-gzip` with q > 0, or,
  when neither is named, `*` with q > 0. No Accept-Encoding, `identity`, `gzip;q=0`: the plain
  page. HTML pages are never rewritten so (the CDN compresses text/html itself).
- `<project>` must be a valid (ASCII) project name (else 404, which also hides `_pyshelf/`); a
  name that is not normalized is redirected (301) to its normalized form, keeping the rest of
  the URL and the query string as sent.
- A missing trailing slash on a project is a 301 to the same URL with the slash.
- In a private index (`pyshelf.core.edge_auth` checks the token first), a token with a project
  scope reaches only the projects its globs cover and never the root page (`/`, `/simple/`,
  `/simple`): anything else is 403. The scope is checked on the normalized name before any
  redirect, so a scoped token learns nothing about names outside its scope; 404s are structural
  and stay 404.
- Human pages (docs/pages.md) live under `/-/`: `/-/` is the human root, `/-/project/<p>/` a
  human project page (a name that is not normalized is redirected there; a missing slash too),
  `/-/project/<p>/<file>` and `/-/<file>` (the 404 page, the style sheet, the script) pass
  through. A page request whose Accept lists `application/xhtml+xml` (q > 0; browsers send it,
  pip, uv and pypi-simple never do) and has no `?format=` that names a page gets the human page
  instead of the API page. `/-/upload` and any other `/-/<name>` only pass through to the
  bucket (nothing is stored there): `/-/upload` is kept for the upload endpoint.
- `/index.html` and `/index.json` (also under `/simple/`) are the root's page files, not
  project names: they pass through like `/<p>/index.json`.
- With a `Fallthrough` (an upstream index), a project page request (`/<p>/`, `/<p>`, any
  spelling, with or without `/simple/`) for a name that is not local (`Fallthrough.is_local`, on
  the normalized name) is a 307 to `upstream + <normalized name> + "/"` with `no-store` and no
  query string (docs/fallthrough.md). Files, the root and local names route as above.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import quote, unquote

from packaging.utils import canonicalize_name

from pyshelf.core.layout import GZIP_SUFFIX, PAGE_NAMES, ROOT_HTML, ROOT_JSON
from pyshelf.core.tokens import TokenRecord

SIMPLE_ALIAS = "simple"
HUMAN = "-"  # the human pages' folder, never a project name
HUMAN_PROJECTS = "project"
HUMAN_TYPE = "application/xhtml+xml"
ENCODED_SLASH = "%2f"
JSON_TYPES = frozenset(
    {"application/vnd.pypi.simple.v1+json", "application/vnd.pypi.simple.latest+json"}
)
HTML_TYPES = frozenset(
    {
        "application/vnd.pypi.simple.v1+html",
        "application/vnd.pypi.simple.latest+html",
        "text/html",
        "text/*",
        "*/*",
    }
)
QVALUE = re.compile(r"0(\.[0-9]{0,3})?|1(\.0{0,3})?")
GZIP_CODINGS = frozenset({"gzip", "x-gzip"})
PageName = Literal["index.html", "index.json"]
FORMAT_SHORT: dict[str, PageName] = {"json": "index.json", "html": "index.html"}


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    uri: str
    headers: Mapping[str, str] = field(default_factory=dict)
    """Header names in lower case."""
    querystring: Mapping[str, str] = field(default_factory=dict)
    """Query parameters as sent (still percent-encoded), one value each, as CloudFront gives
    them to the function; redirects pass them on unchanged."""


@dataclass(frozen=True, slots=True)
class Forward:
    """Send the request on to the origin with `uri`; `negotiated` when the answer depends on
    the Accept and Accept-Encoding headers or `?format=` (a page: the response must then carry
    `Vary: Accept, Accept-Encoding`, `pyshelf.constants.PAGE_VARY`)."""

    uri: str
    negotiated: bool = False
    upload: str | None = None
    """An upload (`pyshelf.core.upload_grant`): the grant the edge passes on to the upload
    handler in `GRANT_HEADER`; None for any other request."""

    @property
    def key(self) -> str:
        """The bucket key the URI names."""
        return unquote(self.uri[1:])


@dataclass(frozen=True, slots=True)
class Answer:
    """The CDN answers itself: a redirect (with `location`) or an error, with `headers` (lower
    case names) beside Location."""

    status: int
    location: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    reason: str | None = None
    """A short plain-text reason, sent as the status line's reason phrase and as the body
    (what twine prints); None: the status code's standard phrase."""


Outcome = Forward | Answer
NOT_FOUND = Answer(404)
NO_STORE = ("cache-control", "no-store")
FORBIDDEN = Answer(403, headers=(NO_STORE,))
# Not 301: pip's HTTP cache keeps a 301 for good, and a name that falls through today may be
# published here tomorrow. 307 is never stored by pip, and no-store keeps any cache off it.
UPSTREAM_STATUS = 307


@dataclass(frozen=True, slots=True)
class Fallthrough:
    """Project pages of names that are not local go to `upstream` (an https URL ending in `/`);
    `is_local(normalized name)` says whether a name is served here (private or reserved)."""

    upstream: str
    is_local: Callable[[str], bool]

    def answer(self, project: str) -> Answer:
        return Answer(UPSTREAM_STATUS, f"{self.upstream}{project}/", headers=(NO_STORE,))


def route(
    request: Request, token: TokenRecord | None = None, fallthrough: Fallthrough | None = None
) -> Outcome:
    """Where a viewer request goes; `token` is the viewer's token in a private index (None: a
    public index, where everything is open); `fallthrough` sends project pages of names that
    are not local upstream (None: every name is served here)."""
    if not request.uri.startswith("/") or ENCODED_SLASH in request.uri.lower():
        return NOT_FOUND
    segments = request.uri.split("/")[1:]
    prefix = ""
    if segments[0] == HUMAN:
        return _route_human(segments[1:], request, token)
    if segments[0] == SIMPLE_ALIAS:
        if len(segments) == 1:
            return _redirect("/simple/", request) if _allowed(token, None) else FORBIDDEN
        prefix, segments = "/" + SIMPLE_ALIAS, segments[1:]
    if len(segments) > 2 or "" in segments[:-1]:
        return NOT_FOUND
    if (root := _route_root(segments, request, token)) is not None:
        return root
    return _route_project(prefix, segments, request, token, fallthrough)


def _route_root(segments: list[str], request: Request, token: TokenRecord | None) -> Outcome | None:
    """The root page (negotiated), or one of its files (`index.html`, `index.json`: not project
    names); None for anything else."""
    if segments != [""] and (len(segments) != 1 or segments[0] not in PAGE_NAMES):
        return None
    if not _allowed(token, None):
        return FORBIDDEN
    return _page("/", request) if segments == [""] else Forward(f"/{segments[0]}")


def _route_human(segments: list[str], request: Request, token: TokenRecord | None) -> Outcome:
    """`/-/...`: the human root, a human project page, or a file beside them."""
    if not segments:
        return _redirect(f"/{HUMAN}/", request)
    if "" in segments[:-1]:
        return NOT_FOUND
    if len(segments) == 1:
        if segments == [""] and not _allowed(token, None):
            return FORBIDDEN
        return Forward(f"/{HUMAN}/{segments[0] or ROOT_HTML}")
    return _route_human_project(segments, request, token)


def _route_human_project(
    segments: list[str], request: Request, token: TokenRecord | None
) -> Outcome:
    """`/-/project/<p>/` and the files beside it."""
    project = _normalized(unquote(segments[1]))
    if segments[0] != HUMAN_PROJECTS or len(segments) > 3:
        project = None
    if project is None:
        return NOT_FOUND
    if not _allowed(token, project):
        return FORBIDDEN
    rest = segments[2] if len(segments) == 3 else None
    folder = f"/{HUMAN}/{HUMAN_PROJECTS}/{project}/"
    if project != unquote(segments[1]) or rest is None:
        return _redirect(f"/{HUMAN}/{HUMAN_PROJECTS}/{quote(project)}/{rest or ''}", request)
    return Forward(folder + (rest or ROOT_HTML))


def _allowed(token: TokenRecord | None, project: str | None) -> bool:
    """The token's scope covers `project` (None: the root page); no token: a public index."""
    return token is None or token.covers(project)


def _route_project(
    prefix: str,
    segments: list[str],
    request: Request,
    token: TokenRecord | None,
    fallthrough: Fallthrough | None,
) -> Outcome:
    raw = unquote(segments[0])
    project = _normalized(raw)
    if project is None:
        return NOT_FOUND
    if not _allowed(token, project):
        return FORBIDDEN
    rest = segments[1] if len(segments) == 2 else None
    if fallthrough is not None and not rest and not fallthrough.is_local(project):
        return fallthrough.answer(project)
    if project != raw or rest is None:
        return _redirect(f"{prefix}/{quote(project)}/{rest or ''}", request)
    if rest == "":
        return _page(f"/{project}/", request)
    return Forward(f"/{project}/{rest}")


def _normalized(raw: str) -> str | None:
    """The normalized name of a valid ASCII project name, else None."""
    if not raw.isascii():  # Unicode case folding would accept e.g. KELVIN SIGN
        return None
    try:
        return canonicalize_name(raw, validate=True)
    except ValueError:
        return None


def _redirect(location: str, request: Request) -> Answer:
    if request.querystring:
        location += "?" + "&".join(f"{k}={v}" for k, v in request.querystring.items())
    return Answer(301, location)


def _page(folder: str, request: Request) -> Forward:
    """The page of `folder` the request negotiates: the human page for a browser, else the API
    page; the JSON page gzipped when accepted."""
    if wants_human(request):
        human = f"/{HUMAN}/" if folder == "/" else f"/{HUMAN}/{HUMAN_PROJECTS}{folder}"
        return Forward(human + ROOT_HTML, negotiated=True)
    name = negotiate(request)
    gzipped = name == ROOT_JSON and accepts_gzip(request.headers.get("accept-encoding", ""))
    return Forward(f"{folder}{name}{GZIP_SUFFIX if gzipped else ''}", negotiated=True)


def accepts_gzip(accept_encoding: str) -> bool:
    """Accept-Encoding accepts gzip: the highest q of `gzip`/`x-gzip`, or when neither is named
    of `*`, is above 0 (RFC 9110, section 12.5.3). No header at all: no."""
    named: float | None = None
    wildcard: float | None = None
    for coding, q in parse_accept(accept_encoding):
        if coding in GZIP_CODINGS:
            named = q if named is None else max(named, q)
        elif coding == "*":
            wildcard = q if wildcard is None else max(wildcard, q)
    chosen = named if named is not None else wildcard
    return chosen is not None and chosen > 0


def wants_human(request: Request) -> bool:
    """No `?format=` names a page, and Accept lists `application/xhtml+xml` at q > 0."""
    fmt = unquote(request.querystring.get("format", "")).strip().lower()
    if FORMAT_SHORT.get(fmt) or _choose(fmt):
        return False
    accept = parse_accept(request.headers.get("accept", ""))
    return any(media_type == HUMAN_TYPE and q > 0 for media_type, q in accept)


def negotiate(request: Request) -> PageName:
    """Which page representation to serve: `?format=` first, then Accept; HTML by default."""
    fmt = unquote(request.querystring.get("format", "")).strip().lower()
    chosen = FORMAT_SHORT.get(fmt) or _choose(fmt)
    return chosen or _choose(request.headers.get("accept", "")) or "index.html"


def _choose(accept: str) -> PageName | None:
    """The best representation for an Accept value, or None when it accepts neither."""
    json_q = html_q = 0.0
    for media_type, q in parse_accept(accept):
        if media_type in JSON_TYPES:
            json_q = max(json_q, q)
        elif media_type in HTML_TYPES:
            html_q = max(html_q, q)
    if json_q > 0 and json_q >= html_q:
        return "index.json"
    if html_q > 0:
        return "index.html"
    return None


def parse_accept(accept: str) -> list[tuple[str, float]]:
    """(media type, q) pairs of an Accept header (or (coding, q) pairs of an Accept-Encoding
    header), lower-cased; a bad q counts as 0."""
    result = []
    for item in accept.split(","):
        media_type, *params = (part.strip().lower() for part in item.split(";"))
        if media_type:
            result.append((media_type, _quality(params)))
    return result


def _quality(params: list[str]) -> float:
    """The q parameter (RFC 9110 qvalue: 0 to 1, at most three decimals); malformed means 0."""
    for param in params:
        name, _, value = param.partition("=")
        if name.strip() == "q":
            value = value.strip()
            return float(value) if QVALUE.fullmatch(value) else 0.0
    return 1.0
