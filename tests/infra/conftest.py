"""Synthesize the CDK app once per session: the real `cdk synth` for dev and prod (offline,
in parallel) and one in-process test-only variant (cdk_support.VARIANT_ENVIRONMENT)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # `infra` sits beside app.py
# Quiet the jsii runtime's Node 20 banners.
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "1")

from aws_cdk import App
from cdk_support import REPO, VARIANT_ENVIRONMENT, Synth, cdk_environment

from infra.app import build_stack
from infra.config import parse_environment
from infra.nag import add_checks

CDK = REPO / "node_modules" / ".bin" / "cdk"
ENVIRONMENTS = ("dev", "prod")


@pytest.fixture(scope="session")
def cdk_context() -> dict[str, Any]:
    context: dict[str, Any] = json.loads((REPO / "cdk.json").read_text())["context"]
    return context


@pytest.fixture(scope="session")
def cli_started(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, tuple[subprocess.Popen[str], Path]]:
    """Start `cdk synth -c env=NAME` for every environment, as a user (or CI) runs it."""
    if not CDK.exists():
        pytest.fail(f"{CDK} is missing: run `npm install` (package.json) first")
    running = {}
    for env in ENVIRONMENTS:
        outdir = tmp_path_factory.mktemp(f"cdk-{env}")
        command = [str(CDK), "synth", "-q", "--no-notices", "-c", f"env={env}", "-o", str(outdir)]
        process = subprocess.Popen(
            command,
            cwd=REPO,
            env=cdk_environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        running[env] = (process, outdir)
    return running


@pytest.fixture(scope="session")
def synths(
    cli_started: dict[str, tuple[subprocess.Popen[str], Path]], variant: Synth
) -> dict[str, Synth]:
    """The finished CLI synths (the in-process variant is built while they run)."""
    result = {}
    for env, (process, outdir) in cli_started.items():
        output, _ = process.communicate(timeout=300)
        if process.returncode != 0:
            pytest.fail(f"cdk synth -c env={env} failed:\n{output}")
        result[env] = Synth.load(outdir, f"pyshelf-{env}", output)
    return result


@pytest.fixture(scope="session")
def dev(synths: dict[str, Synth]) -> Synth:
    return synths["dev"]


@pytest.fixture(scope="session")
def prod(synths: dict[str, Synth]) -> Synth:
    return synths["prod"]


@pytest.fixture(scope="session")
def variant(
    cli_started: object, cdk_context: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Synth]:
    """The test-only environment VARIANT_ENVIRONMENT, synthesized in-process with cdk-nag (no
    bundling)."""
    outdir = tmp_path_factory.mktemp("cdk-variant")
    app = App(
        outdir=str(outdir),
        context={
            **cdk_context,
            "aws:cdk:bundling-stacks": [],
            "aws:cdk:enable-path-metadata": True,
        },
    )
    config = parse_environment("variant", VARIANT_ENVIRONMENT)
    build_stack(app, config)
    add_checks(app)
    app.synth()
    yield Synth.load(outdir, config.stack_name, "")


@pytest.fixture(params=ENVIRONMENTS)
def each_env(request: pytest.FixtureRequest, synths: dict[str, Synth]) -> Synth:
    synth: Synth = synths[request.param]
    return synth
