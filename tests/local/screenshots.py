"""Screenshots of the human pages with headless Chromium against a real `pyshelf serve`.

`python tests/local/screenshots.py DIR` seeds a demo index (`human_demo`) and writes the PNGs
into DIR (`make screenshots` refreshes docs/screenshots/); tests/local/test_screenshots.py takes
them into a temporary folder and checks them. Chromium is Debian's `chromium` (or
`chromium-headless-shell`); `ensure_browser` installs it with apt-get where that is possible
(root, apt-get present).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

BROWSERS = ("chromium", "chromium-headless-shell", "chromium-browser")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TIMEOUT = 90


@dataclass(frozen=True, slots=True)
class Shot:
    name: str
    path: str  # on the index, without the leading slash
    size: tuple[int, int]
    text: str  # in the DOM once the page has loaded (its script included)


SHOTS = (
    Shot("root", "", (1200, 760), "A command line helper"),
    Shot("project", "acme-widgets/", (1200, 1500), "works offline"),  # the README, loaded
    Shot("yanked", "-/project/acme-widgets/#v1.1", (1200, 1700), "broken on Windows"),
    Shot("not-found", "no-such-project/", (1200, 520), "Nothing is published at this address"),
    Shot("project-phone", "acme-widgets/", (390, 1300), "Widgets for every workshop"),
)


def find_browser() -> str | None:
    for name in BROWSERS:
        if found := shutil.which(name):
            return found
    return None


def installable() -> bool:
    """apt-get is there and this process may use it."""
    return shutil.which("apt-get") is not None and os.geteuid() == 0


def ensure_browser() -> str | None:
    """A headless Chromium: found, or installed with apt-get where possible; None otherwise."""
    if (found := find_browser()) is not None or not installable():
        return found
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "chromium"]):
        subprocess.run(command, check=False, env=env, capture_output=True, timeout=900)
    return find_browser()


def _base(browser: str, size: tuple[int, int]) -> list[str]:
    return [
        browser,
        "--headless",
        "--no-sandbox",  # root in a container has no user namespace for the sandbox
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        "--force-device-scale-factor=1",
        f"--window-size={size[0]},{size[1]}",
        "--virtual-time-budget=15000",  # the page's script (the README fetch) runs first
    ]


def screenshot(browser: str, url: str, size: tuple[int, int], out: Path) -> None:
    command = [*_base(browser, size), f"--screenshot={out}", url]
    result = subprocess.run(command, check=False, capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 0 and out.exists(), f"{command}: {result.stderr[-2000:]}"


def dump_dom(browser: str, url: str, pause: float = 0) -> str:
    time.sleep(pause)  # a second look, after a pause, when the first missed the fetch
    command = [*_base(browser, (1200, 900)), "--dump-dom", url]
    result = subprocess.run(command, check=False, capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 0, f"{command}: {result.stderr[-2000:]}"
    return result.stdout


def take(browser: str, index_url: str, folder: Path) -> dict[str, Path]:
    """Every shot into `folder`, each checked: a PNG, and its text in the page's DOM."""
    folder.mkdir(parents=True, exist_ok=True)
    taken = {}
    for shot in SHOTS:
        out = folder / f"{shot.name}.png"
        url = index_url + shot.path
        screenshot(browser, url, shot.size, out)
        check_png(out, shot.size)
        # The README arrives by the page's own fetch: on a loaded machine it can miss the
        # virtual-time budget, so the DOM is looked at up to three times.
        doms = (dump_dom(browser, url, pause=attempt) for attempt in range(3))
        assert any(shot.text in dom for dom in doms), (
            f"{shot.name}: {shot.text!r} not in the DOM of {url}"
        )
        taken[shot.name] = out
    return taken


def check_png(path: Path, size: tuple[int, int]) -> None:
    """A PNG of the window's size, of more than a blank page's bytes."""
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC), f"{path}: not a PNG"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == size, f"{path}: {width}x{height}, not {size}"
    assert len(data) > 10_000, f"{path}: {len(data)} bytes, a blank page?"


@contextmanager
def demo_index(workdir: Path) -> Iterator[str]:
    """`pyshelf serve` with the demo projects indexed; its index URL."""
    import boto3  # noqa: PLC0415

    from local import human_demo, served  # noqa: PLC0415
    from pyshelf.local.aws import client_environment  # noqa: PLC0415

    running = served.start(workdir)
    try:
        env = client_environment()
        s3 = boto3.client(
            "s3",
            endpoint_url=running.s3_endpoint,
            region_name=env["AWS_DEFAULT_REGION"],
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        )
        human_demo.seed(s3, running.bucket)
        human_demo.wait_seeded(running.index_url)
        yield running.index_url
    finally:
        code, _ = running.stop()
        assert code == 0, running.stderr.read_text()


def main(folder: Path) -> None:
    browser = ensure_browser()
    if browser is None:
        sys.exit("no headless Chromium, and none can be installed here (needs root and apt-get)")
    with demo_index(folder / ".serve") as index_url:
        for name, path in take(browser, index_url, folder).items():
            print(f"{name}: {path}")
    shutil.rmtree(folder / ".serve", ignore_errors=True)


if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    sys.path.insert(0, str(here.parent))
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else here.parents[1] / "docs" / "screenshots")
