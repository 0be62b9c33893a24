"""Reading the published index over HTTP and waiting for files (pyshelf.publish.index_reader)."""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from packaging.utils import NormalizedName

from pyshelf.publish.index_reader import (
    BucketIndex,
    HttpIndex,
    IndexRefused,
    IndexUnreadable,
    PublishedFile,
    PublishedProject,
    WaitResult,
    wait_until_listed,
)
from pyshelf.storage.memory import MemoryStore

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
PAGE = {
    "meta": {"api-version": "1.1"},
    "name": "demo",
    "files": [
        {"filename": "demo-1.0.tar.gz", "url": "x", "hashes": {"sha256": "aa"}, "size": 3},
        {
            "filename": "demo-2.0.tar.gz",
            "url": "y",
            "hashes": {"sha256": "bb"},
            "size": 4,
            "yanked": "broken",
        },
    ],
    "versions": ["1.0", "2.0"],
}


SENT: list[str | None] = []  # the Content-Encoding of each page the server sent
UPSTREAM_URL: list[str] = []  # where /elsewhere/ is redirected (the same server, another path)
UPSTREAM_SAW: list[str | None] = []  # the Authorization headers that reached that upstream
GOOD_TOKEN = "pyshelf_good"
# base64 of "__token__:pyshelf_good", what pip sends for https://__token__:pyshelf_good@host/
GOOD_AUTHORIZATION = "Basic X190b2tlbl9fOnB5c2hlbGZfZ29vZA=="


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/broken/":
            self.send_error(500)
            return
        if self.path == "/badgzip/":
            self._send(b"not gzip", "gzip")
            return
        if self.path == "/elsewhere/":  # fall-through: a name this index does not hold
            self.send_response(307)
            self.send_header("Location", f"{UPSTREAM_URL[0]}/elsewhere/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path == "/upstream/elsewhere/":
            UPSTREAM_SAW.append(self.headers["Authorization"])
            self.send_error(404)
            return
        if self.path.startswith("/private/"):
            if self.headers["Authorization"] != GOOD_AUTHORIZATION:
                self.send_error(401)
                return
            self.path = "/demo/"
        if self.path != "/demo/" or self.headers["Accept"] != JSON_TYPE:
            self.send_error(404)
            return
        body = json.dumps(PAGE).encode()
        if "gzip" in self.headers.get("Accept-Encoding", ""):  # as the CDN does
            self._send(gzip.compress(body), "gzip")
        else:
            self._send(body, None)

    def _send(self, body: bytes, coding: str | None) -> None:
        SENT.append(coding)
        self.send_response(200)
        self.send_header("Content-Type", JSON_TYPE)
        if coding:
            self.send_header("Content-Encoding", coding)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def index_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    UPSTREAM_URL[:] = [f"http://127.0.0.1:{server.server_port}/upstream"]
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_http_index_asks_for_json_and_parses_the_page(index_url: str) -> None:
    page = HttpIndex(index_url).project(NormalizedName("demo"))
    assert page is not None
    assert page.hashes() == {"demo-1.0.tar.gz": "aa", "demo-2.0.tar.gz": "bb"}
    assert [f.yanked for f in page.files] == [None, "broken"]
    assert str(page.latest) == "1.0", "a yanked release is not the latest"


def test_http_index_takes_the_page_gzipped_and_decodes_it(index_url: str) -> None:
    SENT.clear()
    page = HttpIndex(index_url).project(NormalizedName("demo"))
    assert SENT == ["gzip"]
    assert page is not None and page.hashes()["demo-1.0.tar.gz"] == "aa"
    with pytest.raises(IndexUnreadable, match="/badgzip/: a body sent as gzip does not"):
        HttpIndex(index_url).project(NormalizedName("badgzip"))


def _bucket(plain: Mapping[str, object] | None, variant: bytes | None) -> MemoryStore:
    store = MemoryStore("b")
    if plain is not None:
        store.put("demo/index.json", json.dumps(plain).encode(), content_type=JSON_TYPE)
    if variant is not None:
        store.put("demo/index.json.gz", variant, content_type=JSON_TYPE, content_encoding="gzip")
    return store


def test_bucket_index_reads_the_gzip_variant_else_the_page() -> None:
    newer = {**PAGE, "files": PAGE["files"][:1]}  # type: ignore[index]
    both = BucketIndex(_bucket(PAGE, gzip.compress(json.dumps(newer).encode())))
    page = both.project(NormalizedName("demo"))
    assert page is not None and list(page.hashes()) == ["demo-1.0.tar.gz"]
    page = BucketIndex(_bucket(PAGE, None)).project(NormalizedName("demo"))
    assert page is not None and len(page.files) == 2
    assert BucketIndex(_bucket(None, None)).project(NormalizedName("demo")) is None
    with pytest.raises(IndexUnreadable, match=r"demo/index\.json\.gz: a body sent as gzip"):
        BucketIndex(_bucket(PAGE, b"{}")).project(NormalizedName("demo"))


def test_http_index_unknown_project_is_none_and_errors_are_reported(index_url: str) -> None:
    index = HttpIndex(index_url + "/")
    assert index.project(NormalizedName("other")) is None
    with pytest.raises(IndexUnreadable, match="HTTP 500"):
        index.project(NormalizedName("broken"))


def test_http_index_sends_the_token_as_pip_does(
    index_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYSHELF_TOKEN", raising=False)
    page = HttpIndex(index_url, token=GOOD_TOKEN).project(NormalizedName("private"))
    assert page is not None and len(page.files) == 2
    monkeypatch.setenv("PYSHELF_TOKEN", GOOD_TOKEN)
    assert HttpIndex(index_url).project(NormalizedName("private")) is not None


def test_http_index_explains_a_401(index_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYSHELF_TOKEN", "")
    with pytest.raises(IndexUnreadable, match="private index: set PYSHELF_TOKEN to a read token"):
        HttpIndex(index_url).project(NormalizedName("private"))
    monkeypatch.setenv("PYSHELF_TOKEN", "pyshelf_revoked")
    with pytest.raises(IndexUnreadable, match=r"HTTP 401 \(the token in PYSHELF_TOKEN was refused"):
        HttpIndex(index_url).project(NormalizedName("private"))


class _Sequence:
    """An index whose page changes on every read (the indexer catching up)."""

    def __init__(self, pages: list[dict[str, str]]) -> None:
        self.pages = pages
        self.reads = 0

    def project(self, name: NormalizedName) -> PublishedProject | None:
        hashes = self.pages[min(self.reads, len(self.pages) - 1)]
        self.reads += 1
        files = tuple(PublishedFile(n, None, h, None, None) for n, h in hashes.items())
        return PublishedProject(name, files)


def test_wait_until_listed_needs_the_right_hash() -> None:
    index = _Sequence([{}, {"a.whl": "old"}, {"a.whl": "new"}])
    now = [0.0]
    result = wait_until_listed(
        index,
        {NormalizedName("p"): {"a.whl": "new"}},
        timeout=10,
        interval=1,
        clock=lambda: now[0],
        sleep=lambda s: now.__setitem__(0, now[0] + s),
    )
    assert result.missing == frozenset()
    assert index.reads == 3


def test_wait_until_listed_gives_up_at_the_timeout() -> None:
    index = _Sequence([{"a.whl": "old"}])
    now = [0.0]
    result = wait_until_listed(
        index,
        {NormalizedName("p"): {"a.whl": "new", "b.whl": "x"}},
        timeout=3,
        interval=1,
        clock=lambda: now[0],
        sleep=lambda s: now.__setitem__(0, now[0] + s),
    )
    assert result.missing == {"a.whl", "b.whl"}
    assert now[0] == 3


def _wait_for_private(index: HttpIndex) -> tuple[float, object]:
    """Wait (10 s, on a fake clock) for a file of the private project; (time spent, outcome)."""
    now = [0.0]
    try:
        outcome: object = wait_until_listed(
            index,
            {NormalizedName("private"): {"demo-1.0.tar.gz": "aa"}},
            timeout=10,
            interval=1,
            clock=lambda: now[0],
            sleep=lambda s: now.__setitem__(0, now[0] + s),
        )
    except IndexRefused as exc:
        outcome = exc
    return now[0], outcome


def test_wait_stops_at_once_when_a_private_index_gets_no_token(index_url: str) -> None:
    spent, outcome = _wait_for_private(HttpIndex(index_url, token=""))
    assert spent == 0
    assert isinstance(outcome, IndexRefused)
    assert "set PYSHELF_TOKEN to a read token" in str(outcome)


def test_wait_keeps_polling_while_a_token_is_refused(index_url: str) -> None:
    """A new token takes seconds to reach CloudFront's edges: a 401 may go away."""
    spent, outcome = _wait_for_private(HttpIndex(index_url, token="pyshelf_new"))
    assert spent == 10
    assert isinstance(outcome, WaitResult)
    assert outcome.missing == {"demo-1.0.tar.gz"}
    assert "the token in PYSHELF_TOKEN was refused" in (outcome.problem or "")
    assert _wait_for_private(HttpIndex(index_url, token=GOOD_TOKEN))[1] == WaitResult(frozenset())


def test_http_index_never_follows_a_redirect_with_the_token(index_url: str) -> None:
    """An index with fall-through redirects a name it does not hold yet to its upstream: for
    `--wait` that is "not listed yet", and the token must not go there (urllib would copy it)."""
    UPSTREAM_SAW.clear()
    index = HttpIndex(index_url, token=GOOD_TOKEN)
    assert index.project(NormalizedName("elsewhere")) is None
    assert UPSTREAM_SAW == []
