from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from pyshelf.core.filenames import NotADistribution, parse_distribution

CORPUS = Path(__file__).parents[1] / "data" / "pypi-filenames-71k.txt.gz"


@pytest.mark.parametrize(
    ("filename", "project", "version", "kind"),
    [
        ("foo-1.0-py3-none-any.whl", "foo", "1.0", "wheel"),
        ("Foo_Bar-2.0+local-py3-none-any.whl", "foo-bar", "2.0+local", "wheel"),
        ("foo-1.0-1-py3-none-any.whl", "foo", "1.0", "wheel"),
        (
            "numpy-2.1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            "numpy",
            "2.1.0",
            "wheel",
        ),
        ("foo-1.0.tar.gz", "foo", "1.0", "sdist"),
        ("foo_bar-1.0rc1.tar.gz", "foo-bar", "1.0rc1", "sdist"),
        ("foo-bar-1.0.zip", "foo-bar", "1.0", "sdist"),
        ("Foo-1!2.0.post1.tar.gz", "foo", "1!2.0.post1", "sdist"),
        ("foo-1.0.tar.bz2", "foo", "1.0", "sdist"),
        ("foo-1.0.tgz", "foo", "1.0", "sdist"),
    ],
)
def test_parses_distributions(filename: str, project: str, version: str, kind: str) -> None:
    dist = parse_distribution(filename)
    assert (dist.project, dist.version, dist.kind) == (project, Version(version), kind)
    assert dist.filename == filename


@pytest.mark.parametrize(
    ("filename", "reason"),
    [
        ("foo-1.0.egg", "not a wheel or sdist"),
        ("foo-1.0.win32.exe", "not a wheel or sdist"),
        ("foo-1.0.linux-x86_64.tar.gz", "invalid version"),
        ("foo-1.0-py3-none.whl", "Invalid wheel filename"),
        ("foo.tar.gz", "Invalid sdist filename"),
        ("readme.txt", "not a wheel or sdist"),
        ("FOO-1.0.TAR.GZ", "not a wheel or sdist"),
        ("foo/foo-1.0.tar.gz", "not a bare filename"),
        ("", "not a bare filename"),
        ("simple-1.0-py3-none-any.whl", "reserved"),
        ("Simple-2.0.tar.gz", "reserved"),
        # a name part that is not a valid project name in ASCII (the CDN could not serve it)
        ("Foo Bar<x>-1.0.tar.gz", "not a valid project name"),
        ("..-1.0.tar.gz", "not a valid project name"),
        ("-foo-1.0.tar.gz", "not a valid project name"),
        ("foo_-1.0.zip", "not a valid project name"),
        ("\uff46\uff4f\uff4f-1.0.tar.gz", "not a valid project name"),  # full-width foo
        ("\uff46\uff4f\uff4f-1.0-py3-none-any.whl", "not a valid project name"),
        ("\u017foo-1.0.tgz", "not a valid project name"),  # long s: folds to ASCII s
        ("caf\u00e9-1.0-py3-none-any.whl", "not a valid project name"),
    ],
)
def test_rejects_with_a_reason(filename: str, reason: str) -> None:
    with pytest.raises(NotADistribution, match=reason):
        parse_distribution(filename)


def test_real_pypi_corpus() -> None:
    """Every one of 71k real filenames is either parsed consistently or rejected with a reason."""
    names = gzip.decompress(CORPUS.read_bytes()).decode().split()
    kinds: Counter[str] = Counter()
    for filename in names:
        try:
            dist = parse_distribution(filename)
        except NotADistribution as exc:
            assert str(exc)
            kinds["rejected"] += 1
            continue
        kinds[dist.kind] += 1
        # the project name parsed from the file is a stable normalized name
        assert canonicalize_name(dist.project) == dist.project
    assert len(names) > 70_000
    # the corpus is mostly sdists and wheels; legacy formats are the rejected rest
    assert kinds["sdist"] > 45_000
    assert kinds["wheel"] > 10_000
    assert 1_000 < kinds["rejected"] < 15_000
