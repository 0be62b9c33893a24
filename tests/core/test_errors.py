"""One exception base: every exception class pyshelf defines derives from `PyshelfError`, and the
ones callers catch as a built-in kind (ValueError, RuntimeError) still are one."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import pyshelf
from pyshelf.core.errors import Exit, PyshelfError
from pyshelf.core.filenames import NotADistribution
from pyshelf.indexer.batch import BatchFailed
from pyshelf.indexer.regenerate import ReindexIncomplete, StillChanging
from pyshelf.local.runtime import ServeError
from pyshelf.publish.checks import InvalidDistribution
from pyshelf.publish.index_reader import IndexUnreadable
from pyshelf.storage import NotFound, PreconditionFailed, StorageError


def _exception_classes() -> list[type[BaseException]]:
    found = []
    for info in pkgutil.walk_packages(pyshelf.__path__, "pyshelf."):
        if info.name.endswith(".__main__"):  # runs the CLI when imported
            continue
        module = importlib.import_module(info.name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__ == module.__name__:
                found.append(value)
    return found


def test_every_pyshelf_exception_is_a_pyshelf_error() -> None:
    classes = _exception_classes()
    assert len(classes) >= 15  # the walk really found them (CLI, storage, indexer, local, ...)
    strays = [
        f"{c.__module__}.{c.__qualname__}" for c in classes if not issubclass(c, PyshelfError)
    ]
    assert strays == []


@pytest.mark.parametrize(
    ("error", "also"),
    [
        (NotADistribution("x"), ValueError),
        (InvalidDistribution("x"), ValueError),
        (StillChanging("x"), RuntimeError),
        (ReindexIncomplete([], {}), RuntimeError),
        (BatchFailed("x"), RuntimeError),
        (IndexUnreadable("x"), RuntimeError),
        (ServeError("x"), RuntimeError),
    ],
)
def test_second_base_kept_for_callers_that_catch_it(
    error: PyshelfError, also: type[Exception]
) -> None:
    with pytest.raises(also):
        raise error


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (PyshelfError, Exit.ERROR),
        (StorageError, Exit.ERROR),
        (NotFound, Exit.ERROR),
        (PreconditionFailed, Exit.ERROR),
        (StillChanging, Exit.ERROR),
        (IndexUnreadable, Exit.ERROR),
        (NotADistribution, Exit.INVALID),
        (InvalidDistribution, Exit.INVALID),
    ],
)
def test_exit_code_of_each_kind(error: type[PyshelfError], code: Exit) -> None:
    assert error("reason").exit_code == code


def test_exit_codes_are_the_documented_numbers() -> None:
    assert {e.name: int(e) for e in Exit} == {
        "OK": 0,
        "ERROR": 1,
        "USAGE": 2,
        "INVALID": 3,
        "CONFLICT": 4,
        "TIMEOUT": 5,
    }
