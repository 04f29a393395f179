"""Shared test configuration: data fixtures, quick notebook runs, an isolated model cache, and
one book build per session."""

import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

pytest_plugins = ["tests.data_fixtures"]


@contextmanager
def held_once(folder: Path, name: str):
    """Hold an exclusive lock named ``name`` in ``folder`` (shared by every pytest-xdist worker of
    one session), so that a session fixture's work happens once, in whichever worker comes first,
    while the others wait for it and then reuse its files (the pattern pytest-xdist's docs give for
    session fixtures; ``fcntl`` stands in for the ``filelock`` package, which is not installed)."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def shared_folder(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A folder that every pytest-xdist worker of this session sees (the session's base temporary
    folder is per worker; its parent is shared), or a fresh one without xdist."""
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        return tmp_path_factory.mktemp(name)
    return tmp_path_factory.getbasetemp().parent / name


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

    out = shared_folder(tmp_path_factory, "quick-runs")

    def run(stem: str) -> tuple[Path, Path]:
        (path,) = [p for p in list_notebooks() if p.stem == stem]
        executed = out / stem / path.name
        results_dir = out / stem / "results"
        finished = out / stem / "finished"
        with held_once(out, stem):
            if not finished.is_file():
                executed.parent.mkdir(parents=True, exist_ok=True)
                seconds = run_notebook(
                    path,
                    executed,
                    profile="quick",
                    parameters={"results_dir": str(results_dir)},
                )
                print(f"{path.name}: quick run in {seconds:.0f} s")
                finished.touch()
        return executed, results_dir

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
    out = shared_folder(tmp_path_factory, "book")
    outcome_file = out / "outcome.json"
    with held_once(out, "build"):
        if not outcome_file.is_file():
            command = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(root)]
            command += ["--path-output", str(out), "--warningiserror", "--keep-going", "--quiet"]
            start = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, timeout=900)
            outcome = {
                "returncode": done.returncode,
                "output": done.stdout[-3000:] + done.stderr[-3000:],
                "seconds": time.perf_counter() - start,
            }
            outcome_file.write_text(json.dumps(outcome))
            show_uncaptured(pytestconfig, f"book built in {outcome['seconds']:.0f} s into {out}")
    outcome = json.loads(outcome_file.read_text())
    if outcome["returncode"] != 0 and (shutil.which("node") is None or shutil.which("npm") is None):
        pytest.skip("the book's try-it page needs Node.js and npm (apt-get install nodejs npm)")
    assert outcome["returncode"] == 0, outcome["output"]
    return out / "_build" / "html"
