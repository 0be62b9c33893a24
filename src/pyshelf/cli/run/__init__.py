"""What the commands do, imported only when one runs: the AWS libraries, the publish and indexer
code. The modules of `pyshelf.cli` itself (the commands' options and help) import none of it, so
`pyshelf --help` and `pyshelf COMMAND --help` start fast (tests/cli/test_startup.py checks)."""
