"""The book builds offline from the committed notebooks, and renders in a real browser."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def site(book_site):
    """The book built once per session (tests/conftest.py: ``book_site``)."""
    return book_site


@pytest.mark.book
def test_book_has_every_chapter_with_its_figures(site):
    assert (site / "index.html").is_file()
    chapters = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert chapters
    for chapter in chapters:
        page = (site / "notebooks" / f"{chapter.stem}.html").read_text()
        images = re.findall(r'<img[^>]+src="([^"]+\.png)"', page)
        assert images, f"{chapter.stem}: no figure in the rendered page"
        for src in images:
            assert (site / "notebooks" / src).resolve().is_file(), src
        assert "Traceback" not in page and "{glue" not in page
    assert "book/intro.html" in (site / "index.html").read_text()  # the landing page
    landing = (site / "book" / "intro.html").read_text()
    for chapter in chapters:
        assert f"{chapter.stem}.html" in landing, f"{chapter.stem} missing from the navigation"


@pytest.mark.book
def test_book_bibliography_resolves(site):
    page = (site / "notebooks" / "01_perceptron.html").read_text()
    assert "Rosenblatt" in page
    assert "??" not in re.sub(r"<[^>]+>", "", page)


@pytest.mark.book
@pytest.mark.skipif(BROWSER is None, reason="Chromium is not installed (apt-get install chromium)")
def test_chapter_renders_in_a_real_browser(site, tmp_path):
    page = site / "notebooks" / "01_perceptron.html"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
    flags += ["--disable-background-networking", "--disable-component-update", "--disable-sync"]
    flags += [f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(
        [BROWSER, *flags, "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    assert "The perceptron" in dom
    assert dom.count("<img") >= 5
    assert "<mjx-container" in dom, "MathJax did not typeset (it must be served from the site)"
    shot = tmp_path / "page.png"
    subprocess.run(
        [BROWSER, *flags, f"--screenshot={shot}", "--window-size=1200,2000", page.as_uri()],
        capture_output=True,
        timeout=120,
    )
    assert shot.is_file() and shot.stat().st_size > 20_000  # a blank page is a few kB
