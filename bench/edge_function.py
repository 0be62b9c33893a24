"""Per-request time of the CloudFront Function (infra/cdn/route.js as deployed) under Node, on
its worst-case path beside the public path.

Worst case: a private index; a valid token whose record is as large as the store allows (1 KB),
made of project globs that each scan the whole name before failing, the covering glob last; a
long URI whose project name is not normalized (so the scope is checked, then a 301 built). For
scale, a typically scoped token (one glob) on the same request; and the public function on the
same request without the header. All run through the Node harness of tests/infra (KeyValueStore
stub: an in-memory map, so the store's own latency at the edge is not in the figure). Prints the
median per-request time over many runs; V8 is faster than the edge's interpreter, so read the
figures as relative costs.

    python bench/edge_function.py [--runs 300] [--batch 200]
"""

from __future__ import annotations

import argparse
import base64
import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType

from pyshelf.core.tokens import MAX_VALUE_BYTES, TokenRecord, token_key

REPO = Path(__file__).resolve().parents[1]
NOW = 1_767_225_600
TOKEN = "pyshelf-bench-0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
NAME = "Acme_Widgets." + "_".join(f"Widgets{i}" for i in range(14))
FILE = "acme_widgets-" + "1.0.0" + "-".join(["cp312"] * 30) + "-none-any.whl"
ACCEPT = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.1"


def function_code_module() -> ModuleType:
    """infra/cdn/function_code.py alone (the `infra.cdn` package would load the CDK)."""
    spec = importlib.util.spec_from_file_location(
        "function_code", REPO / "infra" / "cdn" / "function_code.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def widest_record() -> str:
    """A read token's record with as many name-scanning globs as fit, the covering one last."""
    globs = [f"*widgets-*-x{i:02d}?" for i in range(60)]
    while True:
        try:
            value = scoped_record(*globs, "acme-*")
        except ValueError:
            globs.pop()
            continue
        assert len(value.encode()) <= MAX_VALUE_BYTES
        return value


def scoped_record(*globs: str) -> str:
    return TokenRecord(name="bench", created=NOW, expires=NOW + 86_400, projects=globs).encode()


def scenarios() -> dict[str, object]:
    code = function_code_module().function_code
    uri = f"/simple/{NAME}/{FILE}"
    basic = base64.b64encode(f"__token__:{TOKEN}".encode()).decode()
    request = {"method": "GET", "uri": uri, "headers": {"accept": ACCEPT}, "querystring": {}}
    private = dict(request, headers={"accept": ACCEPT, "authorization": f"Basic {basic}"})
    return {
        "private": {
            "code": code({"access": "private"}),
            "kvs": {token_key(TOKEN): widest_record()},
            "request": private,
        },
        "private, one glob": {
            "code": code({"access": "private"}),
            "kvs": {token_key(TOKEN): scoped_record("acme-*")},
            "request": private,
        },
        "public": {"code": code({"access": "public"}), "kvs": None, "request": request},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()
    node = shutil.which("node")
    if node is None:
        raise SystemExit("node is required")
    spec = {"now": NOW, "runs": args.runs, "batch": args.batch, "warmup": 5000}
    spec["scenarios"] = scenarios()
    with tempfile.TemporaryDirectory() as tmp:
        spec_file = Path(tmp) / "spec.json"
        spec_file.write_text(json.dumps(spec), encoding="utf-8")
        output = subprocess.run(
            [node, str(REPO / "bench" / "edge_function.js"), str(spec_file)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    measured = json.loads(output)
    results = measured["results"]
    print(f"CloudFront Function (route.js) under Node {measured['node']}, median per request")
    print(f"over {args.runs} runs of {args.batch}; URI of {len(f'/simple/{NAME}/{FILE}')} chars:")
    for name, result in results.items():
        print(f"  {name:18} {result['microseconds']:8.2f} us   {result['status']}")
    if len({result["location"] for result in results.values()}) != 1:
        sys.exit(f"the paths disagree: {results}")


if __name__ == "__main__":
    main()
