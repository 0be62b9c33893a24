"""Inspection against the hostile-archive corpus (tests/hostile_archives.py): every case gets
its verdict and reason, in bounded time and memory. The byte and member limits are scaled down
here so the suite stays fast; bench/archive_limits.py runs the corpus with the defaults."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hostile_archives import Case, MiB, bz2_zeros, cases, write_corpus

from pyshelf.core.filenames import parse_distribution
from pyshelf.core.inspection import LIMITS, Inspection, Limits, Verdict, inspect

TEST_LIMITS = Limits(members=10_000, decompressed_bytes=64 * MiB, seconds=60.0)
CASES = cases(TEST_LIMITS)
TESTS = Path(__file__).parents[1]


@functools.cache
def _built(name: str) -> bytes:
    return next(case for case in CASES if case.name == name).build()


def _inspect(case: Case, data: bytes, limits: Limits, *, verify: bool = False) -> Inspection:
    digest = hashlib.sha256(data).hexdigest()
    dist = parse_distribution(case.filename)
    return inspect(dist, io.BytesIO(data), digest, len(data), limits=limits, verify=verify)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_case_gets_its_verdict_in_bounded_time(case: Case) -> None:
    data = _built(case.name)
    started = time.monotonic()
    found = _inspect(case, data, TEST_LIMITS)
    assert time.monotonic() - started < 10
    assert (found.verdict, found.sha256, found.size) == (
        case.verdict,
        hashlib.sha256(data).hexdigest(),
        len(data),
    )
    assert case.reason in (found.problem or "")
    if found.verdict is not Verdict.OK:
        assert (found.metadata, found.requires_python, found.core_metadata) == (None, None, None)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_verify_reads_zip_members_within_the_same_limits(case: Case) -> None:
    found = _inspect(case, _built(case.name), TEST_LIMITS, verify=True)
    assert found.verdict is case.verdict
    assert found.unverified == case.unverified
    if case.unverified:  # stopped checking, but what the index needs was read
        assert found.metadata is not None


def test_the_deadline_is_checked_while_reading() -> None:
    """bz2 of 10 GiB of zeros, with no byte limit to stop it: the clock does."""
    case = next(c for c in CASES if c.name == "tar.bz2, 10 GiB of zeros")
    limits = Limits(decompressed_bytes=100 * 1024**3, seconds=0.5)
    started = time.monotonic()
    found = _inspect(case, bz2_zeros(10 * 1024**3), limits)
    assert time.monotonic() - started < 2.5
    assert found.verdict is Verdict.LIMITED
    assert found.problem == "limit reached: took more than 0.5 s"


def test_the_defaults_bound_a_ratio_bomb() -> None:
    case = next(c for c in cases() if c.name == "tar.gz, a 10 GiB member before PKG-INFO")
    started = time.monotonic()
    found = _inspect(case, case.build(), LIMITS)
    assert time.monotonic() - started < LIMITS.seconds
    assert found.problem == "limit reached: more than 1,024 MiB decompressed"


def test_peak_memory_stays_under_256_mib(tmp_path: Path) -> None:
    """All cases, one after another, as the indexer and as `pyshelf upload` read them, in a fresh
    interpreter: its peak RSS stays under 256 MiB (this large pytest process is its parent, so
    the peak is read as VmHWM: see `peak_rss_mib`)."""
    paths = [str(path) for _case, path in write_corpus(tmp_path, TEST_LIMITS)]
    limits = json.dumps(dataclasses.asdict(TEST_LIMITS))
    command = [sys.executable, str(TESTS / "hostile_archives.py"), "measure", limits, *paths]
    env = {**os.environ, "PYTHONPATH": str(TESTS)}
    result = subprocess.run(
        command, check=False, capture_output=True, text=True, timeout=300, env=env
    )
    assert result.returncode == 0, result.stderr
    measured = json.loads(result.stdout)
    assert [row["verdict"] for row in measured["rows"]] == [c.verdict.value for c in CASES]
    peak = measured.get("vmhwm_mib", measured["ru_maxrss_mib"])  # this process's own (see there)
    assert 20 < peak < 256
