"""Shared test configuration: data fixtures, quick notebook runs, an isolated model cache, and
one book build per session."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

pytest_plugins = ["tests.data_fixtures"]


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
    from emostudy.runner import list_notebooks, run_notebook

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


@pytest.fixture(scope="session")
def book_site(tmp_path_factory) -> Path:
    """The book built once per session (execution off, warnings are errors) into a temporary
    folder, with the in-browser recognizer's files (book/try_it.md) staged by the build itself;
    ``EMOSTUDY_BOOK_SITE=<_build/html>`` reuses a site built already."""
    reuse = os.environ.get("EMOSTUDY_BOOK_SITE")
    if reuse:
        return Path(reuse)
    root = Path(__file__).resolve().parents[1]
    out = tmp_path_factory.mktemp("book")
    command = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(root)]
    command += ["--path-output", str(out)]
    command += ["--warningiserror", "--keep-going", "--quiet"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    if done.returncode != 0 and (shutil.which("node") is None or shutil.which("npm") is None):
        pytest.skip("the book's try-it page needs Node.js and npm (apt-get install nodejs npm)")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out / "_build" / "html"
