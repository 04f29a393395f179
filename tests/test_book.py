"""The book builds offline from the committed notebooks, and renders in a real browser.

The site is built once per session (the ``book_site`` fixture of ``conftest.py``). The browser
tests serve it on localhost and load every page in headless Chromium (Debian's ``chromium``,
driven by Playwright for Python, never a downloaded browser), as a reader on a phone would see it.
They are skipped only when Chromium is not installed.
"""

import html.parser
import json
import re
import shutil
import subprocess
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tests.conftest import show_uncaptured
from web import try_it_browser

ROOT = Path(__file__).resolve().parents[1]
BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
NEEDS_BROWSER = pytest.mark.skipif(
    BROWSER is None, reason="Chromium is not installed (apt-get install chromium)"
)
#: Offline flags for every Chromium run (one list, shared with the try-it page's driver).
CHROMIUM_FLAGS = list(try_it_browser.CHROMIUM_FLAGS)
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def site(book_site):
    """The built book's HTML folder (built once per session)."""
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
@NEEDS_BROWSER
def test_chapter_renders_in_a_real_browser(site, tmp_path):
    page = site / "notebooks" / "01_perceptron.html"
    flags = ["--headless", *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
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


# ------------------------------------------------------------------------------------------------
# links and images, read from the HTML files


class _Links(html.parser.HTMLParser):
    """Collects ``href``/``src`` values and element ids of one page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.links.append(value)
            elif name == "id" and value:
                self.ids.add(value)


def _pages(site: Path) -> list[Path]:
    """Every HTML page of the site, the theme's and Sphinx's own folders left out."""
    return sorted(p for p in site.rglob("*.html") if p.relative_to(site).parts[0][0] != "_")


@pytest.mark.book
def test_every_local_link_and_image_resolves(site):
    parsed = {}
    for page in _pages(site):
        parser = _Links()
        parser.feed(page.read_text())
        parsed[page.resolve()] = parser
    broken = []
    for page, parser in parsed.items():
        for link in parser.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith(("mailto:", "javascript:")):
                continue  # external: never fetched (the browser test fails on any such request)
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                broken.append(f"{page.relative_to(site.resolve())}: {link}")
            elif parts.fragment and target in parsed and parts.fragment not in parsed[target].ids:
                broken.append(f"{page.relative_to(site.resolve())}: {link} (no such anchor)")
    assert not broken, "broken internal links or missing files:\n" + "\n".join(broken)


@pytest.mark.book
def test_front_and_back_matter(site):
    landing = (site / "book" / "intro.html").read_text()
    assert "landing_astronaut.png" in landing
    assert "Salah-Akil/emotion-recognition" in landing and "Dupr" in landing
    assert "{include}" not in landing and "{cite" not in landing
    for page in ("results", "limitations", "glossary"):
        assert f"{page}.html" in landing, f"book/{page} missing from the navigation"
    chapter = (site / "notebooks" / "09_emotion_cnns.html").read_text()
    assert "intro.html#chapter-map" in chapter, "no link back to the chapter map"
    assert "download-source-button" in chapter, "no download button"
    assert "_sources/notebooks/09_emotion_cnns.ipynb" in chapter  # the button fetches the notebook
    assert (site / "_sources" / "notebooks" / "09_emotion_cnns.ipynb").is_file()
    assert "github.com/emostudy" not in chapter  # no placeholder repository


# ------------------------------------------------------------------------------------------------
# every page in a real browser


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep the test output readable
        pass


@pytest.fixture(scope="module")
def served(book_site):
    """The built site on ``http://127.0.0.1:<port>/``, served from a thread."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=book_site))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory):
    """A headless Chromium context with a fresh profile; every request that leaves localhost is
    recorded and aborted (``context.outside`` lists them)."""
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=BROWSER,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport=PHONE,
            service_workers="block",
        )
        context.outside = []

        def route(route, request):
            parts = urlsplit(request.url)
            if parts.hostname not in ("127.0.0.1", "localhost"):
                context.outside.append(request.url)
                route.abort()
            elif parts.path == "/favicon.ico":  # the site has none; Chromium asks anyway
                route.fulfill(status=204)
            else:
                route.continue_()

        context.route("**/*", route)
        yield context
        context.close()


#: Reads a loaded page: its title and first heading, undecoded images, maths, and elements that
#: stick out to the right of the viewport without a scrolling or clipping ancestor.
_INSPECT = """async () => {
  for (const img of document.images) img.loading = "eager";
  await Promise.all([...document.images].map(img => img.decode().catch(() => null)));
  const hasMath = document.querySelector(".math, span.math, div.math") !== null;
  if (hasMath && window.MathJax && MathJax.startup) await MathJax.startup.promise;
  const clipped = el => {
    for (let a = el.parentElement; a; a = a.parentElement) {
      const o = getComputedStyle(a).overflowX;
      if (o === "auto" || o === "scroll" || o === "hidden" || o === "clip") return true;
    }
    return false;
  };
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.querySelectorAll("body *")) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.right <= width + 1 || clipped(el)) continue;
    const s = getComputedStyle(el);
    if (s.visibility === "hidden" || s.display === "none" || s.position === "fixed") continue;
    const name = `${el.tagName.toLowerCase()}.${el.className}`.slice(0, 80);
    wide.push(`${name} (${Math.round(r.right)}px)`);
  }
  const h1 = document.querySelector("main h1, article h1, h1");
  return {
    title: document.title,
    h1: h1 ? h1.textContent.replace(/[#¶]/g, "").trim() : "",
    images: document.images.length,
    broken: [...document.images].filter(i => !(i.complete && i.naturalWidth > 0))
      .map(i => i.getAttribute("src")),
    hasMath,
    typeset: document.querySelectorAll("mjx-container").length,
    mathErrors: document.querySelectorAll("mjx-merror").length,
    scrollWidth: document.documentElement.scrollWidth,
    width,
    wide: wide.slice(0, 5),
  };
}"""


@pytest.mark.book
@NEEDS_BROWSER
def test_every_page_in_a_phone_browser(site, served, browser_context):
    pages = [p.relative_to(site).as_posix() for p in _pages(site) if p.name != "index.html"]
    assert len(pages) >= 20, pages
    problems: list[str] = []
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.goto(served, wait_until="load")  # the root redirects to the landing page
    page.wait_for_url("**/book/intro.html", timeout=10_000)
    if errors:  # a first visit (fresh profile) is checked too
        problems.append(f"first visit: console errors {errors[:3]}")
    for name in pages:
        errors.clear()
        page.goto(served + name, wait_until="load")
        seen = page.evaluate(_INSPECT)
        where = f"{name}:"
        if not seen["title"].strip() or (seen["h1"] and seen["h1"][:40] not in seen["title"]):
            problems.append(
                f"{where} title {seen['title']!r} does not name the page {seen['h1']!r}"
            )
        if seen["broken"]:
            problems.append(f"{where} images not decoded: {seen['broken'][:5]}")
        if seen["hasMath"] and (seen["typeset"] == 0 or seen["mathErrors"]):
            problems.append(f"{where} maths not typeset ({seen['mathErrors']} errors)")
        if seen["scrollWidth"] > seen["width"] + 1 or seen["wide"]:
            problems.append(
                f"{where} wider than a {PHONE['width']}px phone: page {seen['scrollWidth']}px, "
                f"elements {seen['wide']}"
            )
        if errors:
            problems.append(f"{where} console errors {errors[:3]}")
    page.close()
    assert not browser_context.outside, f"requests left localhost: {browser_context.outside[:10]}"
    assert not problems, "\n".join(problems)


@pytest.mark.book
@NEEDS_BROWSER
def test_search_finds_a_known_term(served, browser_context):
    page = browser_context.new_page()
    page.goto(served + "search.html?q=perceptron", wait_until="load")
    page.wait_for_selector("#search-results ul.search li a", timeout=30_000)
    found = page.eval_on_selector_all(
        "#search-results ul.search li a", "links => links.map(a => a.getAttribute('href'))"
    )
    page.close()
    assert any("01_perceptron" in href for href in found), found


@pytest.mark.book
@NEEDS_BROWSER
def test_screenshots_at_phone_and_desktop_width(
    served, browser_context, tmp_path_factory, pytestconfig
):
    folder = tmp_path_factory.mktemp("screenshots")
    shots = []
    page = browser_context.new_page()
    for name, path in (
        ("landing", "book/intro.html"),
        ("chapter12", "notebooks/12_recognizer.html"),
    ):
        for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
            page.set_viewport_size(size)
            page.goto(served + path, wait_until="load")
            page.evaluate("() => window.MathJax?.startup?.promise")
            shot = folder / f"{name}-{label}.png"
            page.screenshot(path=str(shot))
            assert shot.stat().st_size > 20_000, f"{shot} looks blank"
            shots.append(str(shot))
    page.close()
    show_uncaptured(pytestconfig, "screenshots: " + " ".join(shots))
    (folder / "screenshots.json").write_text(json.dumps(shots, indent=1))


@pytest.mark.book
def test_chapter_12_shows_the_browsers_timings(site):
    page = (site / "notebooks" / "12_recognizer.html").read_text()
    assert "this page (ms)" in page and "Python, chapter 12 (ms)" in page
    assert "try-it-figures" not in page  # the marker was replaced by the measured table
