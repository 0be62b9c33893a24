"""The peers' side of bench/peers.py: runs in the bench virtualenv (`.venv-bench`, with s3pypi,
dumb-pypi and matplotlib), never in `.venv`, and never imports pyshelf.

It reads one JSON request per line on stdin and answers one JSON line on stdout:

  {"op": "s3pypi_index", "endpoint", "bucket", "pages": {directory: [[filename, sha256], ...]},
   "root": bool}            write those index pages through s3pypi's own S3Storage.put_index
  {"op": "s3pypi_upload", "endpoint", "bucket", "path", "root": bool}
                            time core.upload_packages([path]) (put_root_index=root)
  {"op": "dumb", "packages", "previous" (or null), "output"}
                            time dumb_pypi.main.main(...) (a partial rebuild when previous is set)
  {"op": "plot", "results": [...], "path"}   draw docs/perf.png

Every answer is {"ok": true, "seconds": float} or {"ok": false, "error": str}. The S3 endpoint
is also exported by the parent as AWS_ENDPOINT_URL, so the DynamoDB lookup s3pypi makes for its
lock table goes to the same local moto server (where no table exists: locking is off), and
MPLBACKEND=Agg (no display).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

from dumb_pypi import main as dumb_main  # type: ignore[import-not-found,unused-ignore]
from matplotlib import pyplot  # type: ignore[import-not-found,unused-ignore]
from s3pypi import core  # type: ignore[import-not-found,unused-ignore]
from s3pypi.index import Hash, Index  # type: ignore[import-not-found,unused-ignore]
from s3pypi.storage import S3Config, S3Storage  # type: ignore[import-not-found,unused-ignore]

REGION = "us-east-1"


def _config(request: dict[str, Any]) -> Any:
    return S3Config(bucket=request["bucket"], region=REGION, endpoint_url=request["endpoint"])


def s3pypi_index(request: dict[str, Any]) -> None:
    storage = S3Storage(_config(request))
    for directory, files in request["pages"].items():
        index = Index({name: Hash("sha256", digest) for name, digest in files})
        storage.put_index(directory, index)
    if request["root"]:
        root = Index(dict.fromkeys(f"{name}/" for name in sorted(request["pages"])))
        storage.put_index(storage.root, root)


def s3pypi_upload(request: dict[str, Any]) -> None:
    config = core.Config(s3=_config(request))
    core.upload_packages(config, [Path(request["path"])], put_root_index=request["root"])


def dumb(request: dict[str, Any]) -> None:
    argv = ["--package-list-json", request["packages"]]
    if request["previous"]:
        argv += ["--previous-package-list-json", request["previous"]]
    argv += ["--output-dir", request["output"], "--packages-url", "../../pool/"]
    if dumb_main.main(argv) != 0:
        raise RuntimeError("dumb-pypi failed")


def plot(request: dict[str, Any]) -> None:
    figure, axes = pyplot.subplots(figsize=(7, 4.5), dpi=120)
    for series in request["results"]:
        axes.plot(series["n"], series["ms"], marker="o", label=series["label"])
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("files already in the project (N)")
    axes.set_ylabel("+1 file, median ms (log)")
    axes.set_title(request["title"])
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(request["path"])


OPS = {"s3pypi_index": s3pypi_index, "s3pypi_upload": s3pypi_upload, "dumb": dumb, "plot": plot}


def main() -> None:
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("s3pypi").setLevel(logging.ERROR)
    for line in sys.stdin:
        request = json.loads(line)
        started = time.perf_counter()
        try:
            OPS[request["op"]](request)
        except Exception as exc:  # reported to the parent, which stops
            answer: dict[str, Any] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        else:
            answer = {"ok": True, "seconds": time.perf_counter() - started}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
