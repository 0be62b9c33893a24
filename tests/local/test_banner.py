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
    assert "pyshelf upload --endpoint-url http://127.0.0.1:9000 --bucket shelf" in text
    assert "pip install --index-url http://127.0.0.1:8080/ foo" in text
    assert "export AWS_ACCESS_KEY_ID=" in text
    assert "AWS_DEFAULT_REGION=us-east-1" in text


def test_banner_says_where_state_lives() -> None:
    assert "in memory" in banner(_endpoints(None))
    with_data = banner(_endpoints(Path("/srv/shelf")))  # not a filesystem path
    assert "kept in /srv/shelf" in with_data
    assert "in memory" not in with_data
