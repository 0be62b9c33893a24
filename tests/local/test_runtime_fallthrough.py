"""`LocalIndex` with an upstream: the restore-on-start reindex (--data) rebuilds the private set
in the serve process's store from the bucket (projects `live`, tombstones `reserved`, stale keys
gone), and the CDN falls through only for the other names."""

from __future__ import annotations

import http.client
import io
import json
from pathlib import Path
from urllib.parse import urlsplit

from distbuild import wheel

from pyshelf.local.accesslog import AccessLog
from pyshelf.local.datadir import KVS_FILE
from pyshelf.local.runtime import LocalIndex, ServeConfig

UPSTREAM = "http://127.0.0.1:9/simple/"  # never contacted: the CDN only redirects


def _get(index_url: str, path: str) -> tuple[int, str | None]:
    url = urlsplit(index_url)
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status, response.getheader("Location")
    finally:
        connection.close()


def test_a_restart_rebuilds_the_private_set_before_serving(tmp_path: Path) -> None:
    (tmp_path / "foo").mkdir()
    (tmp_path / "foo" / "foo-1.0-py3-none-any.whl").write_bytes(wheel("foo", "1.0"))
    (tmp_path / "_pyshelf" / "tombstones").mkdir(parents=True)
    (tmp_path / "_pyshelf" / "tombstones" / "gone").write_bytes(b"deleted\n")
    stale = {"items": {"project:stale": "live"}}
    (tmp_path / KVS_FILE).write_text(json.dumps(stale), encoding="utf-8")
    config = ServeConfig(
        port=0, s3_port=0, bucket="restored", data=tmp_path, upstream=UPSTREAM, reserved=("x-*",)
    )
    with LocalIndex(config, AccessLog(io.StringIO())) as index:
        assert index.key_value_store.list("project:") == {
            "project:foo": "live",
            "project:gone": "reserved",
        }
        url = index.endpoints.index_url
        assert _get(url, "/foo/")[0] == 200
        assert _get(url, "/gone/") == (404, None)
        assert _get(url, "/x-tool/") == (404, None)
        assert _get(url, "/stale/") == (307, f"{UPSTREAM}stale/")
        assert _get(url, "/Other_Name") == (307, f"{UPSTREAM}other-name/")
        assert (index.endpoints.upstream, index.endpoints.reserved) == (UPSTREAM, ("x-*",))
