"""The local CDN over the emulated S3: routing, headers as the deployment sets them, access log."""

from __future__ import annotations

import ast
import base64
import gzip
import http.client
import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pyshelf.access.memory import MemoryKeyValueStore
from pyshelf.core import layout
from pyshelf.core.edge_auth import EdgeSettings, TokenStore, project_key
from pyshelf.core.tokens import TokenRecord, token_key
from pyshelf.local.accesslog import AccessLog
from pyshelf.local.cdn import CDN
from pyshelf.local.origin import FILE_CSP, PAGE_CSP
from pyshelf.storage.s3 import S3Store

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

PIP_ACCEPT = (
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, "
    "text/html; q=0.01"
)
PIP_HEADER = {"Accept": PIP_ACCEPT}
WHEEL = "foo/foo-1.0+local-py3-none-any.whl"
DISTRIBUTION = Path(__file__).parents[2] / "infra" / "cdn" / "distribution.py"


@pytest.fixture
def cdn(s3: S3Client, bucket: str) -> Iterator[tuple[CDN, io.StringIO]]:
    pages = {
        "index.html": (b"<root/>", layout.HTML_TYPE),
        "index.json": (b"{}", layout.JSON_TYPE),
        "foo/index.html": (b"<foo/>", layout.HTML_TYPE),
        "foo/index.json": (b'{"name":"foo"}', layout.JSON_TYPE),
    }
    for key, (body, content_type) in pages.items():
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=body,
            ContentType=content_type,
            CacheControl=layout.PAGE_CACHE_CONTROL,
        )
    s3.put_object(Bucket=bucket, Key=WHEEL, Body=b"0123456789", ContentType="application/zip")
    stream = io.StringIO()
    server = CDN(s3, bucket, AccessLog(stream), "127.0.0.1", 0)
    server.start()
    yield server, stream
    server.stop()


def _request(
    server: CDN, path: str, method: str = "GET", headers: dict[str, str] | None = None
) -> tuple[http.client.HTTPResponse, bytes]:
    host, port = server.server.server_address[:2]
    connection = http.client.HTTPConnection(str(host), port, timeout=10)
    connection.request(method, path, headers=headers or {})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response, body


def test_pages_are_negotiated(cdn: tuple[CDN, io.StringIO]) -> None:
    server, _ = cdn
    response, body = _request(server, "/simple/foo/", headers={"Accept": PIP_ACCEPT})
    assert (response.status, body) == (200, b'{"name":"foo"}')
    assert response.headers["Content-Type"] == layout.JSON_TYPE
    assert response.headers["Cache-Control"] == layout.PAGE_CACHE_CONTROL
    assert response.headers["Vary"] == "Accept, Accept-Encoding"
    response, body = _request(server, "/", headers={"Accept": "*/*"})
    assert (body, response.headers["Content-Type"]) == (b"<root/>", layout.HTML_TYPE)


def test_files_are_immutable_and_not_varied(cdn: tuple[CDN, io.StringIO]) -> None:
    server, _ = cdn
    response, body = _request(server, "/foo/foo-1.0%2Blocal-py3-none-any.whl")
    assert (response.status, body) == (200, b"0123456789")
    assert response.headers["Content-Type"] == "application/zip"
    assert response.headers["Cache-Control"] == layout.IMMUTABLE_CACHE_CONTROL
    assert response.headers["Vary"] is None
    assert response.headers["ETag"]


def test_head_has_length_and_no_body(cdn: tuple[CDN, io.StringIO]) -> None:
    server, _ = cdn
    response, body = _request(server, "/foo/foo-1.0%2Blocal-py3-none-any.whl", "HEAD")
    assert (response.status, body) == (200, b"")
    assert response.headers["Content-Length"] == "10"


def test_range_and_conditional_requests(cdn: tuple[CDN, io.StringIO]) -> None:
    server, _ = cdn
    path = "/foo/foo-1.0%2Blocal-py3-none-any.whl"
    response, body = _request(server, path, headers={"Range": "bytes=2-4"})
    assert (response.status, body) == (206, b"234")
    assert response.headers["Content-Range"] == "bytes 2-4/10"
    etag = response.headers["ETag"]
    response, body = _request(server, path, headers={"If-None-Match": etag})
    assert (response.status, body) == (304, b"")


GZIP = {"Accept": PIP_ACCEPT, "Accept-Encoding": "gzip, deflate"}
BIG_HTML = b"<html>" + b"<a href='x'>foo-1.0.tar.gz</a>\n" * 100 + b"</html>"


def _put_page(s3: S3Client, bucket: str, key: str, body: bytes, encoding: str | None) -> None:
    content_type = layout.HTML_TYPE if key.endswith(".html") else layout.JSON_TYPE
    S3Store(s3, bucket).put(key, body, content_type=content_type, content_encoding=encoding)


def test_a_gzip_client_gets_the_stored_variant_as_it_is(
    s3: S3Client, bucket: str, cdn: tuple[CDN, io.StringIO]
) -> None:
    server, stream = cdn
    coded = gzip.compress(b'{"name":"foo"}', mtime=0)
    _put_page(s3, bucket, "foo/index.json.gz", coded, "gzip")
    response, body = _request(server, "/foo/", headers=GZIP)
    assert (response.status, body) == (200, coded)
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Content-Type"] == layout.JSON_TYPE
    assert response.headers["Vary"] == "Accept, Accept-Encoding"
    for refused in ({"Accept": PIP_ACCEPT}, {**GZIP, "Accept-Encoding": "gzip;q=0, br"}):
        response, body = _request(server, "/foo/", headers=refused)
        assert (body, response.headers["Content-Encoding"]) == (b'{"name":"foo"}', None)
    deadline = time.monotonic() + 5  # a line is written once its response is sent
    while len(stream.getvalue().splitlines()) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    sent = sorted(line.split("] ", 1)[1] for line in stream.getvalue().splitlines())
    assert sent[-1] == f'"GET /foo/ HTTP/1.1" 200 {len(coded)} "foo/index.json.gz"'


def test_html_is_gzipped_at_the_edge_for_gzip_clients(
    s3: S3Client, bucket: str, cdn: tuple[CDN, io.StringIO]
) -> None:
    server, _ = cdn
    _put_page(s3, bucket, "foo/index.html", BIG_HTML, None)
    browser = {"Accept": "text/html", "Accept-Encoding": "gzip, deflate, br"}
    response, body = _request(server, "/foo/", headers=browser)
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(body) == BIG_HTML
    assert response.headers["Content-Length"] == str(len(body))
    assert response.headers["Vary"] == "Accept, Accept-Encoding"
    etag = response.headers["ETag"]
    assert etag.startswith('W/"')  # CloudFront weakens the ETag of what it compresses
    response, body = _request(server, "/foo/", headers={**browser, "If-None-Match": etag})
    assert (response.status, body) == (304, b"")
    response, body = _request(server, "/foo/", headers={"Accept": "text/html"})
    assert (body, response.headers["Content-Encoding"]) == (BIG_HTML, None)
    assert not response.headers["ETag"].startswith("W/")


def test_the_edge_leaves_small_html_and_files_as_they_are(cdn: tuple[CDN, io.StringIO]) -> None:
    server, _ = cdn
    everything = {"Accept-Encoding": "gzip"}
    response, body = _request(server, "/", headers=everything)  # under 1,000 bytes
    assert (body, response.headers["Content-Encoding"]) == (b"<root/>", None)
    response, body = _request(server, "/foo/foo-1.0%2Blocal-py3-none-any.whl", headers=everything)
    assert (body, response.headers["Content-Encoding"]) == (b"0123456789", None)


def test_redirects_keep_the_query(cdn: tuple[CDN, io.StringIO]) -> None:
    server, _ = cdn
    response, _ = _request(server, "/Foo?format=json")
    assert response.status == 301
    assert response.headers["Location"] == "/foo/?format=json"


@pytest.mark.parametrize("path", ["/nope/", "/_pyshelf/projects/foo.json", "/foo/a/b.whl"])
def test_missing_and_private_are_404(cdn: tuple[CDN, io.StringIO], path: str) -> None:
    server, _ = cdn
    response, _ = _request(server, path)
    assert response.status == 404


def test_a_missing_key_gets_the_human_404_page_once_written(
    cdn: tuple[CDN, io.StringIO], s3: S3Client, bucket: str
) -> None:
    """As the distribution's custom error response: `-/404.html` with status 404, to pip too;
    the CDN's own 404s (a malformed path) stay plain, as the function's answers do."""
    server, _ = cdn
    response, body = _request(server, "/nope/", headers={"Accept": PIP_ACCEPT})
    assert (response.status, body) == (404, b"404 NoSuchKey\n")  # not written yet
    page = b"<!DOCTYPE html><title>Not found</title>" + b" " * 2000
    s3.put_object(Bucket=bucket, Key="-/404.html", Body=page, ContentType=layout.HTML_TYPE)
    for accept in (PIP_ACCEPT, "text/html,application/xhtml+xml"):
        response, body = _request(server, "/nope/", headers={"Accept": accept})
        assert (response.status, body) == (404, page)
        assert response.headers["Content-Type"] == layout.HTML_TYPE
    response, body = _request(server, "/nope/", "HEAD")
    assert (response.status, body) == (404, b"")
    response, body = _request(server, "/nope/", headers={"Accept-Encoding": "gzip"})
    assert response.status == 404 and gzip.decompress(body) == page  # compressed as pages are
    response, body = _request(server, "/foo/a/b.whl")
    assert (response.status, body) == (404, b"404 Not Found\n")


def test_access_log_has_one_line_per_request_with_the_key(cdn: tuple[CDN, io.StringIO]) -> None:
    server, stream = cdn
    _request(server, "/foo/", headers={"Accept": PIP_ACCEPT})
    _request(server, "/Foo")
    _request(server, "/foo/foo-1.0%2Blocal-py3-none-any.whl", "HEAD")
    deadline = time.monotonic() + 5  # a line is written once its response is sent
    while len(stream.getvalue().splitlines()) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    lines = sorted(line.split("] ", 1)[1] for line in stream.getvalue().splitlines())
    assert lines == [
        '"GET /Foo HTTP/1.1" 301 22 "-"',
        '"GET /foo/ HTTP/1.1" 200 14 "foo/index.json"',
        f'"HEAD /foo/foo-1.0%2Blocal-py3-none-any.whl HTTP/1.1" 200 0 "{WHEEL}"',
    ]


NOW = 1_767_225_600
READER = "reader-secret-token"
SCOPED = "scoped-secret-token"
BRIEF = "brief-secret-token"
RECORDS = {
    token_key(READER): TokenRecord(name="reader", created=NOW).encode(),
    token_key(SCOPED): TokenRecord(name="scoped", created=NOW, projects=("foo",)).encode(),
    token_key(BRIEF): TokenRecord(name="brief", created=NOW, expires=NOW + 60).encode(),
}


class _Clock:
    def __init__(self) -> None:
        self.now = float(NOW)

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def private_cdn(
    s3: S3Client, bucket: str, cdn: tuple[CDN, io.StringIO]
) -> Iterator[tuple[CDN, io.StringIO, _Clock]]:
    """A private CDN over the same bucket as `cdn`, with a dict for the token store."""
    stream = io.StringIO()
    clock = _Clock()
    server = CDN(
        s3,
        bucket,
        AccessLog(stream),
        "127.0.0.1",
        0,
        settings=EdgeSettings("private"),
        tokens=RECORDS,
        clock=clock,
    )
    server.start()
    yield server, stream, clock
    server.stop()


def _basic(user: str, password: str) -> dict[str, str]:
    encoded = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {encoded}"}


def test_private_without_a_token_is_401_with_a_challenge(
    private_cdn: tuple[CDN, io.StringIO, _Clock],
) -> None:
    server, _, _ = private_cdn
    for path in ("/", "/foo/", "/foo/foo-1.0%2Blocal-py3-none-any.whl", "/Foo", "/a/b/c"):
        response, body = _request(server, path)
        assert (response.status, body) == (401, b"401 Unauthorized\n"), path
        assert response.headers["WWW-Authenticate"] == 'Basic realm="pyshelf"'
        assert response.headers["Cache-Control"] == "no-store"
    response, _ = _request(server, "/", headers=_basic("__token__", "not-a-token"))
    assert response.status == 401


def test_private_with_a_token_serves_pages_and_files(
    private_cdn: tuple[CDN, io.StringIO, _Clock],
) -> None:
    server, stream, _ = private_cdn
    response, body = _request(server, "/foo/", headers=_basic("__token__", READER) | PIP_HEADER)
    assert (response.status, body) == (200, b'{"name":"foo"}')
    path = "/foo/foo-1.0%2Blocal-py3-none-any.whl"
    response, body = _request(server, path, headers=_basic(READER, ""))
    assert (response.status, body) == (200, b"0123456789")
    assert READER not in stream.getvalue()


def test_private_scope_is_403_outside_and_on_the_root(
    private_cdn: tuple[CDN, io.StringIO, _Clock],
) -> None:
    server, _, _ = private_cdn
    response, body = _request(server, "/simple/foo/", headers=_basic("ci", SCOPED))
    assert (response.status, body) == (200, b"<foo/>")
    for path in ("/", "/simple/", "/bar/", "/Bar"):
        response, body = _request(server, path, headers=_basic("ci", SCOPED))
        assert (response.status, body) == (403, b"403 Forbidden\n"), path
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["WWW-Authenticate"] is None


def test_private_expiry_follows_the_clock(private_cdn: tuple[CDN, io.StringIO, _Clock]) -> None:
    server, _, clock = private_cdn
    assert _request(server, "/", headers=_basic("__token__", BRIEF))[0].status == 200
    clock.now = NOW + 60
    assert _request(server, "/", headers=_basic("__token__", BRIEF))[0].status == 401


def test_a_private_cdn_needs_a_token_store(s3: S3Client, bucket: str) -> None:
    with pytest.raises(ValueError, match="token store"):
        CDN(s3, bucket, AccessLog(io.StringIO()), "127.0.0.1", 0, settings=EdgeSettings("private"))


UPSTREAM = "https://pypi.org/simple/"
FALLTHROUGH = {"upstream": UPSTREAM, "reserved": ["acme-*"]}


class _FailingStore:
    """A store whose every read fails (the KeyValueStore is unreachable)."""

    def get(self, key: str) -> str | None:
        raise RuntimeError(f"cannot read {key}")


def _fallthrough_cdn(s3: S3Client, bucket: str, access: str, store: TokenStore) -> CDN:
    settings = EdgeSettings.from_mapping({"access": access, **FALLTHROUGH})
    server = CDN(
        s3, bucket, AccessLog(io.StringIO()), "127.0.0.1", 0, settings=settings, tokens=store
    )
    server.start()
    return server


@pytest.fixture
def names(cdn: tuple[CDN, io.StringIO]) -> MemoryKeyValueStore:
    """The store of tokens and private names: foo is private (the `cdn` fixture's bucket)."""
    return MemoryKeyValueStore({**RECORDS, project_key("foo"): "live"})


@pytest.fixture
def public_fallthrough(s3: S3Client, bucket: str, names: MemoryKeyValueStore) -> Iterator[CDN]:
    server = _fallthrough_cdn(s3, bucket, "public", names)
    yield server
    server.stop()


@pytest.fixture
def private_fallthrough(s3: S3Client, bucket: str, names: MemoryKeyValueStore) -> Iterator[CDN]:
    server = _fallthrough_cdn(s3, bucket, "private", names)
    yield server
    server.stop()


def _assert_upstream(response: http.client.HTTPResponse, body: bytes, name: str) -> None:
    assert (response.status, body) == (307, b"307 Temporary Redirect\n")
    assert response.headers["Location"] == f"{UPSTREAM}{name}/"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers.get_all("Vary") is None
    assert response.headers["WWW-Authenticate"] is None


def test_unknown_project_pages_fall_through(public_fallthrough: CDN) -> None:
    for path in ("/simple/requests/", "/requests/", "/simple/Requests", "/Requests/?format=json"):
        response, body = _request(public_fallthrough, path, headers=PIP_HEADER)
        _assert_upstream(response, body, "requests")


def test_private_reserved_and_files_stay_here(public_fallthrough: CDN) -> None:
    response, body = _request(public_fallthrough, "/simple/foo/", headers=PIP_HEADER)
    assert (response.status, body) == (200, b'{"name":"foo"}')
    assert _request(public_fallthrough, "/Foo")[0].status == 301
    assert _request(public_fallthrough, "/simple/acme-widgets/")[0].status == 404
    assert _request(public_fallthrough, "/requests/requests-2.0.tar.gz")[0].status == 404
    response, body = _request(public_fallthrough, "/", headers={"Accept": "*/*"})
    assert (response.status, body) == (200, b"<root/>")


def test_a_name_published_here_stops_falling_through_at_once(
    public_fallthrough: CDN, names: MemoryKeyValueStore
) -> None:
    _assert_upstream(*_request(public_fallthrough, "/simple/bar/"), "bar")
    names.put(project_key("bar"), "live", if_match=names.etag())
    assert _request(public_fallthrough, "/simple/bar/")[0].status == 404  # no page yet
    names.put(project_key("bar"), "reserved", if_match=names.etag())  # its last file deleted
    assert _request(public_fallthrough, "/simple/bar/")[0].status == 404


def test_a_store_error_serves_the_name_here(s3: S3Client, bucket: str, cdn: object) -> None:
    server = _fallthrough_cdn(s3, bucket, "public", _FailingStore())
    try:
        assert _request(server, "/requests/")[0].status == 404
        assert _request(server, "/foo/")[0].status == 200
    finally:
        server.stop()


def test_private_fallthrough_checks_the_token_first(private_fallthrough: CDN) -> None:
    for path in ("/simple/requests/", "/simple/foo/", "/Requests"):
        assert _request(private_fallthrough, path)[0].status == 401, path
    response, body = _request(private_fallthrough, "/simple/requests/", headers=_basic(READER, ""))
    _assert_upstream(response, body, "requests")
    for path in ("/simple/requests/", "/Requests"):
        response, _ = _request(private_fallthrough, path, headers=_basic("ci", SCOPED))
        assert response.status == 403, path
    response, body = _request(private_fallthrough, "/simple/foo/", headers=_basic("ci", SCOPED))
    assert (response.status, body) == (200, b"<foo/>")


def test_a_fallthrough_cdn_needs_the_store(s3: S3Client, bucket: str) -> None:
    settings = EdgeSettings("public", UPSTREAM)
    with pytest.raises(ValueError, match="store of private names"):
        CDN(s3, bucket, AccessLog(io.StringIO()), "127.0.0.1", 0, settings=settings)


def test_an_encoded_slash_reaches_no_deeper_key(
    cdn: tuple[CDN, io.StringIO], s3: S3Client, bucket: str
) -> None:
    s3.put_object(Bucket=bucket, Key="foo/sub/foo-1.0.tar.gz", Body=b"deeper")
    for path in ("/foo/sub%2Ffoo-1.0.tar.gz", "/foo/sub%2ffoo-1.0.tar.gz"):
        response, body = _request(cdn[0], path)
        assert (response.status, body) == (404, b"404 Not Found\n")


SECURITY = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


@pytest.mark.parametrize(
    ("path", "csp"),
    [
        ("/", PAGE_CSP),
        ("/foo/", PAGE_CSP),
        ("/Foo", PAGE_CSP),  # the CDN's own 301
        ("/nope/", PAGE_CSP),  # 404
        ("/foo/foo-1.0%2Blocal-py3-none-any.whl", FILE_CSP),
        ("/foo/foo-1.0%2Blocal-py3-none-any.whl.metadata", FILE_CSP),  # 404
        ("/foo/foo-1.0.tar.gz?x=1", FILE_CSP),
    ],
)
def test_every_answer_has_the_deployments_security_headers(
    cdn: tuple[CDN, io.StringIO], path: str, csp: str
) -> None:
    for method in ("GET", "HEAD"):
        response, _ = _request(cdn[0], path, method)
        assert response.headers["Content-Security-Policy"] == csp
        assert {name: response.headers[name] for name in SECURITY} == SECURITY


def _deployed_csps() -> tuple[str, str]:
    """PAGE_CSP and the files behaviour's csp, read from infra/cdn/distribution.py (importing
    it would load the CDK)."""
    tree = ast.parse(DISTRIBUTION.read_text())
    page = next(
        node.value.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and [getattr(t, "id", None) for t in node.targets] == ["PAGE_CSP"]
        and isinstance(node.value, ast.Constant)
    )
    files = next(
        keyword.value.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and any(isinstance(a, ast.Constant) and a.value == "FilesHeaders" for a in node.args)
        for keyword in node.keywords
        if keyword.arg == "csp" and isinstance(keyword.value, ast.Constant)
    )
    return str(page), str(files)


def test_the_policies_are_the_deployments() -> None:
    assert _deployed_csps() == (PAGE_CSP, FILE_CSP)
