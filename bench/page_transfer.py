"""Bytes on the wire for the JSON page of a 5,000-file project, before and after gzip variants.

1. What pip and uv send: both are pointed at a throwaway local server that records their request
   headers (Accept, Accept-Encoding) and answers 404.
2. A project "big" of N small wheels is indexed in memory by the real indexer (pages and their
   gzip variants). `pyshelf serve` (moto + the local CDN, which routes like the CloudFront
   Function) gets its first wheel uploaded and indexed, then the N-file pages are put over the
   1-file ones (pages raise no indexer event), as the indexer stores them (headers of
   `pyshelf.core.layout`). Faster than N uploads, and the same bytes the indexer would write.
3. The page is fetched through the local CDN by real `pip download` and `uv pip compile`, and by
   a client that sends no Accept-Encoding (what every client received before: CloudFront does not
   compress `application/vnd.pypi.simple.v1+json`). The CDN's access log gives the bytes it sent
   and the key it served.

Exits 1 if pip or uv did not get the gzip variant, or got no fewer bytes than the plain page.
Runs from a checkout (it puts `src/` and `tests/` on the path); needs pip and uv installed.

    python bench/page_transfer.py            # N = 5000
    python bench/page_transfer.py --n 200
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
from distbuild import wheel
from local import served

from pyshelf.core import layout
from pyshelf.core.filenames import normalize_project
from pyshelf.indexer.regenerate import regenerate_project, regenerate_root
from pyshelf.local.aws import s3_client
from pyshelf.storage.memory import MemoryStore
from pyshelf.storage.s3 import S3Store

PROJECT = "big"
PAGE_KEY = f"{PROJECT}/index.json"
WHEEL = PROJECT + "/" + PROJECT + "-1.0.{n}-py3-none-any.whl"
PIP_ACCEPT = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1"
Transfer = tuple[str, int, str]  # the path asked for, bytes sent, the key served
_LOG_LINE = re.compile(r'"GET (\S+) HTTP/[0-9.]+" (\d+) (\d+) "([^"]*)"')


def client_headers(env: dict[str, str], workdir: Path) -> dict[str, dict[str, str]]:
    """{client: {header: value}} of the first page request pip and uv send."""
    seen: dict[str, dict[str, str]] = {}

    class Recorder(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            agent = self.headers.get("User-Agent", "")
            client = "uv" if agent.startswith("uv/") else "pip"
            wanted = ("Accept", "Accept-Encoding")
            seen.setdefault(client, {name: self.headers.get(name, "(none)") for name in wanted})
            self.send_error(404)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/simple/"
    try:
        _pip_download(env, url, workdir / "pip-probe", check=False)
        _uv_compile(env, url, check=False)
    finally:
        server.shutdown()
        server.server_close()
    return seen


def indexed(files: int) -> MemoryStore:
    """`files` wheels of PROJECT, indexed in memory by the real indexer."""
    store = MemoryStore("bench")
    for n in range(files):
        store.put(WHEEL.format(n=n), wheel(PROJECT, f"1.0.{n}"), content_type="application/zip")
    regenerate_project(store, normalize_project(PROJECT))
    regenerate_root(store)
    return store


def publish(server: served.Served, env: dict[str, str], source: MemoryStore) -> None:
    """Upload the first wheel and let the indexer list it, then put the big pages over."""
    s3 = s3_client(server.s3_endpoint)
    target = S3Store(s3, server.bucket)
    first = WHEEL.format(n=0)
    blob = source.get(first)
    assert blob is not None
    s3.put_object(Bucket=server.bucket, Key=first, Body=blob.body)
    deadline = time.monotonic() + 30
    while not _listed(server.index_url, first.rpartition("/")[2]):
        if time.monotonic() > deadline:
            raise SystemExit(f"the indexer did not list {first} in time")
        time.sleep(0.2)
    time.sleep(1.0)  # the indexer's last writes of that event (facts cache) come just after
    for row in source.list(PROJECT + "/"):
        if isinstance(layout.classify(row.key), layout.PageKey | layout.PageVariantKey):
            stored = source.stored(row.key)
            assert stored is not None
            target.put(
                row.key,
                stored.body,
                content_type=stored.content_type,
                cache_control=stored.cache_control,
                content_encoding=stored.content_encoding,
            )


def _listed(index_url: str, filename: str) -> bool:
    request = urllib.request.Request(f"{index_url}{PROJECT}/", headers={"Accept": PIP_ACCEPT})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return filename.encode() in response.read()
    except urllib.error.HTTPError:
        return False


def _pip_download(env: dict[str, str], url: str, into: Path, *, check: bool = True) -> None:
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(into)]
    command += ["--index-url", url, f"{PROJECT}==1.0.0"]
    if check:
        served.run(command, env)
    else:
        subprocess.run(command, env=env, capture_output=True, timeout=120, check=False)


def _uv_compile(env: dict[str, str], url: str, *, check: bool = True) -> None:
    command = [served.tool("uv"), "pip", "compile", "-", "--python", sys.executable]
    command += ["--no-header", "--no-cache", "--index-url", url]
    requirement = f"{PROJECT}==1.0.0\n"
    if check:
        served.run(command, env, input=requirement)
    else:
        subprocess.run(
            command,
            env=env,
            input=requirement,
            text=True,
            capture_output=True,
            timeout=120,
            check=False,
        )


def _plain_client(url: str) -> None:
    """A client that sends no Accept-Encoding (urllib): it must get the plain page."""
    request = urllib.request.Request(f"{url}{PROJECT}/", headers={"Accept": PIP_ACCEPT})
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


def page_transfers(server: served.Served, before: int) -> list[Transfer]:
    """(path, bytes sent, key) of the project page requests logged after line `before`."""
    rows = []
    for line in server.access_lines(settle=0.3)[before:]:
        match = _LOG_LINE.search(line)
        if match and match.group(4).startswith(PAGE_KEY) and match.group(2) == "200":
            rows.append((match.group(1), int(match.group(3)), match.group(4)))
    return rows


def measure(server: served.Served, env: dict[str, str], workdir: Path) -> dict[str, list[Transfer]]:
    runs: dict[str, Callable[[], None]] = {
        "no Accept-Encoding": lambda: _plain_client(server.index_url),
        "pip download": lambda: _pip_download(env, server.index_url, workdir / "pip-out"),
        "uv pip compile": lambda: _uv_compile(env, server.index_url),
    }
    found: dict[str, list[Transfer]] = {}
    for name, run in runs.items():
        before = len(server.access_lines(settle=0.3))
        run()
        found[name] = page_transfers(server, before)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=5000, help="files in the project")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pyshelf-bench-") as tmp:
        workdir = Path(tmp)
        env = served.client_env(workdir / "home")
        for client, headers in sorted(client_headers(env, workdir).items()):
            print(f"{client} sends: " + "; ".join(f"{k}: {v}" for k, v in headers.items()))
        started = time.monotonic()
        source = indexed(args.n)
        plain, gz = (len(source_body(source, key)) for key in (PAGE_KEY, f"{PAGE_KEY}.gz"))
        print(f"indexed {args.n} files in {time.monotonic() - started:.1f} s")
        print(f"stored: {PAGE_KEY} {plain} bytes, {PAGE_KEY}.gz {gz} bytes")
        server = served.start(workdir / "serve")
        try:
            publish(server, env, source)
            found = measure(server, env, workdir)
        finally:
            server.stop()
    return report(found, plain)


def source_body(store: MemoryStore, key: str) -> bytes:
    blob = store.get(key)
    assert blob is not None, key
    return blob.body


def report(found: dict[str, list[Transfer]], plain: int) -> int:
    print(f"\n{'client':<20} {'key served':<18} {'bytes sent':>11} {'vs plain':>9}")
    failed = False
    for name, rows in found.items():
        if not rows:
            print(f"{name:<20} (no page request logged)")
            failed = True
        for _path, sent, key in rows:
            print(f"{name:<20} {key:<18} {sent:>11} {sent / plain:>8.1%}")
            if name != "no Accept-Encoding" and (not key.endswith(".gz") or sent >= plain):
                failed = True
    if failed:
        print("FAIL: pip or uv did not get the page compressed", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
