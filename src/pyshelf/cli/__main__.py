"""`python -m pyshelf.cli`: the same as the `pyshelf` console script."""

from pyshelf.cli import main

main()
