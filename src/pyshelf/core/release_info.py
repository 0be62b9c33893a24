"""What a release's core metadata says for people (pure): summary, author, license, links, and
its long description rendered to safe HTML the way PyPI does it (`readme_renderer`: Markdown,
reStructuredText or plain text, sanitised by nh3 with its allow-list).

Read once per release, from the first file of it whose metadata the indexer reads: the short
fields go into the facts cache (`ReleaseInfo`), the rendered description into one object per
release (`layout.description_key`), never into the cache.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from packaging.metadata import parse_email

log = logging.getLogger(__name__)
# Longer fields are cut: a page shows them in a line or a list.
MAX_SHORT = 500
MAX_LINKS = 20
SAFE_SCHEMES = ("http", "https")


@dataclass(frozen=True, slots=True)
class ReleaseInfo:
    """A release's metadata as a page shows it; `links` are (label, http(s) URL) pairs;
    `description` says whether a rendered description was stored for it."""

    summary: str = ""
    author: str = ""
    license: str = ""
    links: tuple[tuple[str, str], ...] = ()
    classifiers: tuple[str, ...] = ()
    description: bool = False

    def to_json(self) -> dict[str, object]:
        return {
            "summary": self.summary,
            "author": self.author,
            "license": self.license,
            "links": [list(pair) for pair in self.links],
            "classifiers": list(self.classifiers),
            "description": self.description,
        }

    @classmethod
    def from_json(cls, value: dict[str, object]) -> ReleaseInfo:
        links = value.get("links") or []
        classifiers = value.get("classifiers") or []
        if not isinstance(links, list) or not isinstance(classifiers, list):
            raise ValueError("links and classifiers must be lists")
        return cls(
            summary=str(value.get("summary", "")),
            author=str(value.get("author", "")),
            license=str(value.get("license", "")),
            links=tuple((str(label), str(url)) for label, url in links),
            classifiers=tuple(str(c) for c in classifiers),
            description=bool(value.get("description", False)),
        )


@dataclass(frozen=True, slots=True)
class ReadRelease:
    info: ReleaseInfo
    description_html: str | None  # sanitised HTML, None when the metadata has no description


def read_release(core_metadata: bytes) -> ReadRelease:
    """The page fields of a wheel's METADATA or a sdist's PKG-INFO (unparseable fields are
    left out: `parse_email` never raises for them)."""
    raw, _unparsed = parse_email(core_metadata)
    author = raw.get("author") or raw.get("author_email") or raw.get("maintainer") or ""
    license_text = raw.get("license_expression") or raw.get("license") or ""
    description = raw.get("description") or ""
    html = render_description(description, raw.get("description_content_type") or "")
    info = ReleaseInfo(
        summary=_short(raw.get("summary") or ""),
        author=_short(author),
        license=_short(license_text.splitlines()[0] if license_text.strip() else ""),
        links=_links(raw.get("home_page"), raw.get("project_urls") or {}),
        classifiers=tuple(_short(c) for c in raw.get("classifiers") or [])[:200],
        description=html is not None,
    )
    return ReadRelease(info, html)


def render_description(text: str, content_type: str) -> str | None:
    """Safe HTML of a long description, as PyPI renders it: `text/markdown` (GFM unless the
    variant says CommonMark), `text/plain`, else reStructuredText with a plain-text fallback
    when it does not parse. None for an empty description."""
    if not text.strip():
        return None
    from readme_renderer import markdown, rst, txt  # noqa: PLC0415 (only the indexer renders)

    media_type, _, params = content_type.partition(";")
    media_type = media_type.strip().lower()
    if media_type == "text/markdown":
        variant = "CommonMark" if "commonmark" in params.lower() else "GFM"
        return markdown.render(text, variant=variant)
    if media_type == "text/plain":
        return txt.render(text)
    rendered = rst.render(text)
    if rendered is None:
        log.info("description is not valid reStructuredText: shown as plain text")
        return txt.render(text)
    return rendered


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_SHORT else text[: MAX_SHORT - 1] + "…"


def _links(home_page: str | None, project_urls: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """(label, URL) of the home page and the project URLs that are http(s): a `javascript:`
    or `data:` URL is dropped, never linked."""
    pairs = [("Homepage", home_page)] if home_page else []
    pairs += list(project_urls.items())
    seen: set[str] = set()
    links = []
    for label, raw in pairs:
        url = raw.strip()
        if _safe_url(url) and url not in seen:
            seen.add(url)
            links.append((_short(label) or url, url))
    return tuple(links[:MAX_LINKS])


def _safe_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in SAFE_SCHEMES and bool(parts.netloc) and len(url) <= 2000
