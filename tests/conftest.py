"""Shared test configuration: data fixtures, quick notebook runs, an isolated model cache, and
one book build per session."""

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

pytest_plugins = ["tests.data_fixtures"]


def xdist_group_of(item: pytest.Item) -> str | None:
    """The group of tests that must share one pytest-xdist worker (``make test`` runs with
    ``--dist loadgroup``), so that session fixtures run once: every test using the built book
    (``book_site``) is in ``"book"``; every test of one chapter's quick run (``quick_run``: the
    ``test_chapter_NN`` files and that chapter's row of ``test_notebooks``) in ``"chapter-NN"``.
    ``None`` for the other tests, which any worker may take."""
    names = item.fixturenames
    if "book_site" in names:
        return "book"
    if "quick_run" not in names:
        return None
    found = re.match(r"test_chapter_(\d\d)$", item.path.stem) or re.search(
        r"\[(\d\d)_", item.nodeid
    )
    return f"chapter-{found.group(1)}" if found else "quick-runs"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test with its :func:`xdist_group_of` (a no-op without ``-n``)."""
    for item in items:
        group = xdist_group_of(item)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    """Point EMOSTUDY_CACHE at a new empty folder for one test."""
    folder = tmp_path / "model-cache"
    monkeypatch.setenv("EMOSTUDY_CACHE", str(folder))
    return folder


@pytest.fixture(scope="session")
def quick_run(tmp_path_factory):
    """``quick_run("01_perceptron")`` → (executed notebook path, results dir), run once a session.

    The chapter runs in its quick profile with every output (result tables, models) in a temporary
    folder, so the committed notebooks and tables are never touched.
    """
    from emostudy.book import list_notebooks, run_notebook

    out = tmp_path_factory.mktemp("quick-runs")
    done: dict[str, tuple[Path, Path]] = {}

    def run(stem: str) -> tuple[Path, Path]:
        if stem not in done:
            (path,) = [p for p in list_notebooks() if p.stem == stem]
            results_dir = out / "results"
            executed = out / path.name
            seconds = run_notebook(
                path, executed, profile="quick", parameters={"results_dir": str(results_dir)}
            )
            print(f"{path.name}: quick run in {seconds:.0f} s")
            done[stem] = (executed, results_dir)
        return done[stem]

    return run


def show_uncaptured(pytestconfig, message: str) -> None:
    """Print ``message`` on the terminal even while pytest captures the output."""
    capture = pytestconfig.pluginmanager.get_plugin("capturemanager")
    if capture is None:
        print(message)
        return
    with capture.global_and_fixture_disabled():
        print(message, flush=True)


@pytest.fixture(scope="session")
def book_site(tmp_path_factory, pytestconfig) -> Path:
    """The book built once per test session, as ``make book`` builds it (execution off, warnings
    are errors), into a temporary folder; returns the folder of its HTML pages.

    The build also stages the in-browser recognizer's files (book/try_it.md). Any test file can
    use it; the build takes about a minute on two cores. To test a site that is
    already built (for example by ``make book``), point ``EMOSTUDY_BOOK_HTML`` at its HTML folder.
    """
    prebuilt = os.environ.get("EMOSTUDY_BOOK_HTML") or os.environ.get("EMOSTUDY_BOOK_SITE")
    if prebuilt:
        assert (Path(prebuilt) / "index.html").is_file(), f"no built book in {prebuilt}"
        return Path(prebuilt)
    root = Path(__file__).resolve().parents[1]
    out = tmp_path_factory.mktemp("book")
    command = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(root)]
    command += ["--path-output", str(out), "--warningiserror", "--keep-going", "--quiet"]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    if done.returncode != 0 and (shutil.which("node") is None or shutil.which("npm") is None):
        pytest.skip("the book's try-it page needs Node.js and npm (apt-get install nodejs npm)")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    message = f"book built in {time.perf_counter() - start:.0f} s into {out}"
    show_uncaptured(pytestconfig, message)
    return out / "_build" / "html"
