"""Everything the tests read is inside the repository: a user's clone has nothing beside it.

The test sources are scanned (Python by its syntax tree, other sources as text) for the ways a
test can reach outside the checkout: `Path(__file__)` climbed above the repository root
(`.parents[N]`, chains of `.parent`), `..` path segments, a `shared/` folder beside the repo, and
absolute paths or home directories other than temporary and system locations. Temporary
directories and installed tools are fine.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TESTS = REPO / "tests"
SCANNED = (".py", ".js", ".json", ".sh")
# Absolute locations a test may name: temporary and system directories, never data elsewhere.
ALLOWED_ABSOLUTE = re.compile(r"^/(tmp|dev|proc|sys|etc|usr/bin|bin)(/|$)")
ABSOLUTE = re.compile(r"^/(home|root|work|srv|mnt|opt|data|var|usr|media)(/|$)")
# A line ending with this comment holds strings that are not filesystem paths (bucket keys,
# example paths printed in a banner): the scan passes over it.
NOT_A_PATH = "# not a filesystem path"
# The folder beside a checkout that a user's clone lacks; the examples below build their bad
# paths from it, so that a plain search of the sources finds no real read of it.
BESIDE = "shared"
UP_LEVEL = re.compile(r"^\.\.([/\\]|$)")


def _string_problems(text: str) -> Iterator[str]:
    if UP_LEVEL.search(text):
        yield f"a '..' path segment in {text!r}"
    if re.search(r"(^|/)shared/", text) or text == "shared":
        yield f"the shared folder beside the repo in {text!r}"
    if ABSOLUTE.match(text) and not ALLOWED_ABSOLUTE.match(text):
        yield f"an absolute path {text!r}"
    if text.startswith("~"):
        yield f"a home directory path {text!r}"


def _levels_up(node: ast.AST) -> int | None:
    """How many folders above `__file__`'s folder an expression climbs (parents[N] is N, a chain
    of k `.parent` is k - 1), or None when it does not start from `__file__`."""
    climbed = -1
    while True:
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute):
            index = node.slice.value if isinstance(node.slice, ast.Constant) else None
            if node.value.attr != "parents" or not isinstance(index, int):
                return None
            climbed += index + 1
            node = node.value.value
        elif isinstance(node, ast.Attribute) and node.attr == "parent":
            climbed += 1
            node = node.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            node = node.func.value  # .resolve(), .absolute()
        elif isinstance(node, ast.Call) and node.args:
            node = node.args[0]  # Path(__file__)
        elif isinstance(node, ast.Name) and node.id == "__file__":
            return climbed
        else:
            return None


def python_problems(source: str, depth: int) -> list[str]:
    """Ways a Python test source reads outside the repo; its folder is `depth` folders below
    the repo root."""
    problems: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            problems += [f"line {node.lineno}: {p}" for p in _string_problems(node.value)]
        elif isinstance(node, ast.Attribute) and node.attr == "home":
            problems.append(f"line {node.lineno}: the home directory (Path.home())")
        elif isinstance(node, ast.Subscript | ast.Attribute):
            climbed = _levels_up(node)
            if climbed is not None and climbed > depth:
                problems.append(f"line {node.lineno}: climbs {climbed} folders above __file__")
    lines = source.splitlines()
    return [p for p in problems if not lines[int(p.split(":")[0][5:]) - 1].endswith(NOT_A_PATH)]


def text_problems(source: str) -> list[str]:
    problems = []
    for match in re.finditer(r"""(['"`])([^'"`\n]*)\1""", source):
        problems += list(_string_problems(match.group(2)))
    return problems


def scanned_sources() -> list[Path]:
    """Every test source but this file, whose examples of bad reads are data."""
    return [
        path
        for path in sorted(TESTS.rglob("*"))
        if path.suffix in SCANNED
        and "__pycache__" not in path.parts
        and path.is_file()
        and path != Path(__file__).resolve()
    ]


def problems_of(path: Path) -> list[str]:
    source = path.read_text(encoding="utf-8")
    if path.suffix == ".py":
        depth = len(path.relative_to(REPO).parts) - 1
        return python_problems(source, depth)
    return text_problems(source)


@pytest.mark.parametrize("path", scanned_sources(), ids=lambda p: str(p.relative_to(REPO)))
def test_no_test_source_reads_outside_the_repo(path: Path) -> None:
    assert problems_of(path) == []


@pytest.mark.parametrize(
    ("source", "depth"),
    [
        (f'CORPUS = Path(__file__).parents[3] / "{BESIDE}" / "data" / "x.txt"', 2),
        ('CORPUS = Path(__file__).parents[3] / "x.txt"', 2),
        ("ROOT = Path(__file__).resolve().parents[2]", 1),
        ("ROOT = Path(__file__).parent.parent.parent", 1),
        (f'open("../{BESIDE}/data/x.txt")', 1),
        ('DATA = Path("/work/shared/data")', 1),
        ('DATA = Path("~/corpus.txt").expanduser()', 1),
        ("DATA = Path.home() / 'corpus.txt'", 1),
    ],
)
def test_the_scan_catches_reads_outside_the_repo(source: str, depth: int) -> None:
    assert python_problems(source, depth)


@pytest.mark.parametrize(
    ("source", "depth"),
    [
        ('CORPUS = Path(__file__).parents[1] / "data" / "x.txt.gz"', 2),
        ("REPO = Path(__file__).resolve().parents[2]", 2),
        ("HERE = Path(__file__).parent.parent", 1),
        ('KEYS = ["../x"]  # not a filesystem path', 1),
        ('route("/simple/foo/")', 1),
        ('tmp = Path("/tmp/pyshelf-test")', 1),
    ],
)
def test_the_scan_allows_reads_inside_the_repo(source: str, depth: int) -> None:
    assert python_problems(source, depth) == []


def test_text_sources_are_scanned_too() -> None:
    assert text_problems(f"fs.readFileSync('../../{BESIDE}/data/x.txt')")
    assert text_problems("const p = '/home/me/data.json';")
    assert not text_problems("const uri = '/foo/index.html';")
