"""The Lambda bundle: built locally (no Docker) for arm64 / CPython 3.14, with a content hash."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cdk_support import REPO, Synth

from infra.bundling import KVS_ONLY_FOLDER, IndexerSources, asset_hash, set_aside_kvs_only

pytestmark = pytest.mark.cdk


def bundle_dir(synth: Synth) -> Path:
    fn = synth.logical_id("AWS::Lambda::Function", "Indexer/Function")
    key: str = synth.props(fn)["Code"]["S3Key"]
    return synth.outdir / f"asset.{key.removesuffix('.zip')}"


# What the Lambda runs, and nothing more: the CLI and local mode are not shipped, so editing them
# does not change the asset hash (and does not redeploy the function).
LAMBDA_MODULES = [
    "pyshelf",
    "pyshelf.access",
    "pyshelf.access.cloudfront",
    "pyshelf.access.optimistic",
    "pyshelf.access.store",
    "pyshelf.constants",
    "pyshelf.core",
    "pyshelf.core.continuation",
    "pyshelf.core.encoding",
    "pyshelf.core.errors",
    "pyshelf.core.events",
    "pyshelf.core.facts_cache",
    "pyshelf.core.facts_entries",
    "pyshelf.core.filenames",
    "pyshelf.core.human",
    "pyshelf.core.inspection",
    "pyshelf.core.layout",
    "pyshelf.core.logs",
    "pyshelf.core.page_model",
    "pyshelf.core.private_names",
    "pyshelf.core.reindex_request",
    "pyshelf.core.release_info",
    "pyshelf.core.release_request",
    "pyshelf.core.render",
    "pyshelf.indexer",
    "pyshelf.indexer.batch",
    "pyshelf.indexer.deadline",
    "pyshelf.indexer.derived",
    "pyshelf.indexer.file_facts",
    "pyshelf.indexer.follow",
    "pyshelf.indexer.hotpath",
    "pyshelf.indexer.invalidation",
    "pyshelf.indexer.private_set",
    "pyshelf.indexer.project_set",
    "pyshelf.indexer.reading",
    "pyshelf.indexer.recent",
    "pyshelf.indexer.refile",
    "pyshelf.indexer.regenerate",
    "pyshelf.indexer.requested",
    "pyshelf.indexer.summaries",
    "pyshelf.storage",
    "pyshelf.storage.base",
    "pyshelf.storage.folder",
    "pyshelf.storage.hashing",
    "pyshelf.storage.s3",
]
# Imported by the handler only when KVS_ARN is set (an index that falls through to PyPI).
KVS_MODULES = ["pyshelf.access.cloudfront"]


# ELF magic, 64-bit, little-endian, version 1, then e_machine 0xB7 (AArch64) at offset 18.
AARCH64_ELF = b"\x7fELF\x02\x01\x01" + bytes(9) + b"\x03\x00\xb7\x00"


def bundled_modules(bundle: Path) -> list[str]:
    names = []
    for path in (bundle / "pyshelf").rglob("*.py"):
        parts = path.relative_to(bundle).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return sorted(names)


def test_bundle_holds_handler_package_and_arm64_wheels(dev: Synth) -> None:
    bundle = bundle_dir(dev)
    assert (bundle / "handler.py").read_bytes() == (
        REPO / "lambdas/indexer/handler.py"
    ).read_bytes()
    assert bundled_modules(bundle) == LAMBDA_MODULES
    assert sorted(p.name for p in (bundle / "pyshelf/core/templates").iterdir()) == [
        "anchor.html.j2",
        "human",
        "project.html.j2",
        "root.html.j2",
    ]
    human = sorted(p.name for p in (bundle / "pyshelf/core/templates/human").iterdir())
    assert {"project.html.j2", "pyshelf.css", "pyshelf.js", "404.html.j2"} <= set(human)
    for package in ("jinja2", "markupsafe", "packaging", "readme_renderer", "nh3"):
        assert (bundle / package / "__init__.py").is_file(), package
    (speedups,) = (bundle / "markupsafe").glob("_speedups*.so")
    assert "cpython-314-aarch64-linux-gnu" in speedups.name
    # SigV4A for the KeyValueStore API: set aside, on the path only with KVS_ARN
    assert (bundle / KVS_ONLY_FOLDER / "awscrt" / "__init__.py").is_file()
    (crt,) = (bundle / KVS_ONLY_FOLDER).glob("_awscrt*.so")
    assert crt.read_bytes()[:20] == AARCH64_ELF
    assert not list(bundle.glob("*awscrt*"))
    assert not list(bundle.rglob("__pycache__"))
    assert not (bundle / "boto3").exists()


def test_awscrt_is_set_aside_where_the_handler_finds_it_with_kvs_arn(tmp_path: Path) -> None:
    for name in ("awscrt", "awscrt-0.38.0.dist-info", "jinja2", "markupsafe-3.0.4.dist-info"):
        (tmp_path / name).mkdir()
    (tmp_path / "_awscrt.abi3.so").write_bytes(b"")
    set_aside_kvs_only(tmp_path)
    assert {p.name for p in tmp_path.iterdir()} == {
        KVS_ONLY_FOLDER,
        "jinja2",
        "markupsafe-3.0.4.dist-info",
    }
    assert sorted(p.name for p in (tmp_path / KVS_ONLY_FOLDER).iterdir()) == [
        "_awscrt.abi3.so",
        "awscrt",
        "awscrt-0.38.0.dist-info",
    ]
    handler = REPO / "lambdas/indexer/handler.py"
    show = "import sys, handler; print(sys.path[0])"
    for kvs_arn, first in (("", None), ("arn:aws:cloudfront::1:key-value-store/x", True)):
        env = {**os.environ, "KVS_ARN": kvs_arn, "PYTHONPATH": str(handler.parent)}
        result = subprocess.run(
            [sys.executable, "-c", show], capture_output=True, text=True, env=env, check=True
        )
        on_path = result.stdout.strip() == str(handler.with_name(KVS_ONLY_FOLDER))
        assert on_path is bool(first), kvs_arn


def test_independent_synths_give_the_same_asset(dev: Synth, prod: Synth) -> None:
    """The asset hash is derived from content (not from bundle output or time): two separate
    synths agree, so a re-synth into an existing cdk.out skips bundling."""
    assert bundle_dir(prod).name == bundle_dir(dev).name


def copy_sources(tmp_path: Path) -> IndexerSources:
    (tmp_path / "lambda").mkdir()
    shutil.copy(REPO / "lambdas/indexer/handler.py", tmp_path / "lambda" / "handler.py")
    shutil.copytree(REPO / "src/pyshelf", tmp_path / "pyshelf")
    shutil.copy(REPO / "infra/indexer_requirements.txt", tmp_path / "requirements.txt")
    return IndexerSources(
        handler=tmp_path / "lambda" / "handler.py",
        package=tmp_path / "pyshelf",
        requirements=tmp_path / "requirements.txt",
    )


def test_asset_hash_follows_content_only(tmp_path: Path) -> None:
    sources = copy_sources(tmp_path)
    before = asset_hash(sources)
    (sources.package / "core/__pycache__").mkdir(exist_ok=True)
    (sources.package / "core/__pycache__" / "layout.cpython-311.pyc").write_bytes(b"\0")
    with (sources.package / "cli/upload.py").open("a") as file:  # not shipped
        file.write("\n# changed\n")
    assert asset_hash(sources) == before
    with (sources.package / "core/layout.py").open("a") as file:
        file.write("\n# changed\n")
    assert asset_hash(sources) != before


def test_asset_hash_follows_the_pins(tmp_path: Path) -> None:
    sources = copy_sources(tmp_path)
    before = asset_hash(sources)
    sources.requirements.write_text(sources.requirements.read_text() + "six==1.17.0\n")
    assert asset_hash(sources) != before


BUNDLE_SMOKE = """
import json, sys
bundle = sys.argv[1]
sys.path.insert(0, bundle)
import boto3
from moto import mock_aws
import handler, pyshelf, jinja2, packaging
for module in (handler, pyshelf, jinja2, packaging):
    assert module.__file__.startswith(bundle), module.__file__
sys.path.insert(0, sys.argv[2])
from distbuild import wheel
with mock_aws():
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="pkgs")
    s3.put_object(Bucket="pkgs", Key="foo/foo-1.0-py3-none-any.whl", Body=wheel("foo", "1.0"))
    key = {"key": "foo/foo-1.0-py3-none-any.whl"}
    event = {"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
             "s3": {"bucket": {"name": "pkgs"}, "object": key}}]}
    print(json.dumps(handler.handler(event, None)))
    print(s3.get_object(Bucket="pkgs", Key="foo/index.json")["Body"].read().decode())
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] == "pyshelf")))
handler._project_set("arn:aws:cloudfront::123456789012:key-value-store/0123abcd")
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] == "pyshelf")))
"""


def test_the_bundle_runs_on_its_own(dev: Synth) -> None:
    """The bundled handler imports pyshelf and its dependencies from the bundle (not from the
    checkout) and indexes a wheel: nothing the Lambda needs is missing from the asset."""
    result = subprocess.run(
        [sys.executable, "-c", BUNDLE_SMOKE, str(bundle_dir(dev)), str(REPO / "tests")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PACKAGES_BUCKET": "pkgs", "PYTHONDONTWRITEBYTECODE": "1"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    response, page, imported, with_kvs = [line for line in result.stdout.splitlines() if line][:4]
    assert json.loads(response) == {"batchItemFailures": []}
    assert [f["filename"] for f in json.loads(page)["files"]] == ["foo-1.0-py3-none-any.whl"]
    # Everything shipped is what the handler imports while it indexes a wheel, and once it
    # builds its KeyValueStore client (only with KVS_ARN set).
    assert json.loads(imported) == sorted(set(LAMBDA_MODULES) - set(KVS_MODULES))
    assert json.loads(with_kvs) == LAMBDA_MODULES == bundled_modules(bundle_dir(dev))
