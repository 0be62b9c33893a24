"""Screenshots of the human pages (root, project, a yanked release, the 404 page, a project on a
phone) with headless Chromium against `pyshelf serve`: each is a PNG of its window's size and
the page's text is in its DOM (`screenshots.take`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from local import screenshots


def test_screenshots_of_the_human_pages(tmp_path: Path) -> None:
    browser = screenshots.ensure_browser()
    if browser is None:
        pytest.skip(
            "no headless Chromium (Debian package chromium or chromium-headless-shell), and "
            "none can be installed here: apt-get needs root"
        )
    with screenshots.demo_index(tmp_path / "serve") as index_url:
        taken = screenshots.take(browser, index_url, tmp_path / "shots")
    assert sorted(taken) == sorted(shot.name for shot in screenshots.SHOTS)
