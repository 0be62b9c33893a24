from __future__ import annotations

from pathlib import Path

from pyshelf.local.banner import Endpoints, banner


def _endpoints(data: Path | None) -> Endpoints:
    return Endpoints("http://127.0.0.1:8080/", "http://127.0.0.1:9000", "shelf", data)


def test_banner_has_urls_and_copy_paste_examples() -> None:
    text = banner(_endpoints(None))
    assert "Index URL    http://127.0.0.1:8080/" in text
    assert "S3 endpoint  http://127.0.0.1:9000" in text
    assert "aws s3 cp --endpoint-url http://127.0.0.1:9000 dist/" in text
    assert "s3://shelf/foo/" in text
    assert (
        "  export PYSHELF_ENDPOINT_URL=http://127.0.0.1:9000 PYSHELF_BUCKET=shelf "
        "PYSHELF_INDEX_URL=http://127.0.0.1:8080/\n" in text
    )
    assert "  pyshelf upload --wait dist/*\n" in text
    assert "pip install --index-url http://127.0.0.1:8080/ foo" in text
    assert "export AWS_ACCESS_KEY_ID=" in text
    assert "AWS_DEFAULT_REGION=us-east-1" in text


def test_banner_says_where_state_lives() -> None:
    assert "in memory" in banner(_endpoints(None))
    with_data = banner(_endpoints(Path("/srv/shelf")))  # not a filesystem path
    assert "kept in /srv/shelf" in with_data
    assert "in memory" not in with_data


def test_a_public_banner_says_public_and_shows_no_token() -> None:
    text = banner(_endpoints(None))
    assert "Access       public: " in text
    assert "--private" in text
    assert "TOKEN" not in text
    assert "pyshelf token" not in text


def test_a_private_banner_shows_how_to_create_and_pass_a_token() -> None:
    endpoints = Endpoints(
        "http://127.0.0.1:8080/", "http://127.0.0.1:9000", "shelf", None, "private"
    )
    text = banner(endpoints)
    assert "Access       private: every request needs a read token" in text
    assert (
        "  pyshelf token create NAME --endpoint-url http://127.0.0.1:9000 "
        "--index-url http://127.0.0.1:8080/\n" in text
    )
    assert "  pyshelf token revoke NAME --endpoint-url http://127.0.0.1:9000\n" in text
    assert "  pip install --index-url http://__token__:TOKEN@127.0.0.1:8080/ foo\n" in text
    assert "  uv pip install --index-url http://__token__:TOKEN@127.0.0.1:8080/ foo\n" in text
    assert "  PYSHELF_TOKEN=TOKEN pyshelf upload --wait dist/*\n" in text
    assert "--index-url http://127.0.0.1:8080/ foo" not in text
    assert "in memory; a change counts" in text


def test_a_private_banner_says_where_tokens_are_kept() -> None:
    endpoints = Endpoints("http://h:1/", "http://h:2", "shelf", Path("data-dir"), "private")
    assert "kept in data-dir/.pyshelf-kvs.json; a change counts" in banner(endpoints)


def test_a_banner_with_an_upstream_says_where_names_fall_through_and_what_is_reserved() -> None:
    endpoints = Endpoints(
        "http://h:1/",
        "http://h:2",
        "shelf",
        None,
        "private",
        "https://pypi.org/simple/",
        ("acme-*", "internal-?"),
    )
    text = banner(endpoints)
    assert "  Upstream     https://pypi.org/simple/   (pages of names not published here" in text
    assert "  Reserved     acme-*, internal-?   (never redirected" in text
    plain = banner(_endpoints(None))
    assert "Upstream" not in plain and "Reserved" not in plain


def test_an_upstream_without_reserved_globs_says_so() -> None:
    endpoints = Endpoints("http://h:1/", "http://h:2", "shelf", None, "public", "http://h:3/")
    assert "  Reserved     none (--reserve GLOB)" in banner(endpoints)
