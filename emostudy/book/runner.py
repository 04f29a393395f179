"""Execute the book's notebooks with papermill: quick runs for tests, full runs for the results.

``emostudy run full [NN ...]`` re-executes chapters in place (``make results``);
``emostudy run quick OUTDIR [NN ...]`` runs them in the quick profile into ``OUTDIR``.

A full run executes to a temporary file next to the notebook and replaces the committed notebook
only when every cell succeeded, so a failure never leaves a half-executed chapter behind. Cell
sources are compared before and after: only outputs (and execution counts) may change.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from emostudy.errors import InvalidInputError
from emostudy.settings import PROFILES, project_root


def notebooks_dir() -> Path:
    """The ``notebooks/`` folder of the checkout."""
    root = project_root()
    if root is None:
        raise InvalidInputError("The notebooks live in a project checkout; emostudy is installed.")
    return root / "notebooks"


def list_notebooks(selectors: Sequence[str] = (), folder: Path | None = None) -> list[Path]:
    """Chapter notebooks ``NN_*.ipynb`` in order, optionally only those whose name starts with one
    of ``selectors`` (``"07"`` or ``"07_detector_benchmark"``)."""
    folder = folder or notebooks_dir()
    found = sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))
    if not selectors:
        return found
    chosen = [p for p in found if any(p.stem.startswith(s.zfill(2)) for s in selectors)]
    if len(chosen) == 0:
        names = ", ".join(p.stem for p in found)
        raise InvalidInputError(
            f"No notebook matches {list(selectors)}; the chapters are: {names}."
        )
    return chosen


def run_notebook(
    path: Path, output_path: Path, *, profile: str, parameters: dict | None = None
) -> float:
    """Execute ``path`` into ``output_path`` with ``profile`` (and any extra ``parameters``).

    The working directory is the notebook's folder, as in JupyterLab. Parameters are injected
    only when they differ from the notebook's own defaults (a full run of a notebook whose
    default profile is "full" injects nothing). Progress bars are switched off in the kernel
    (``TQDM_DISABLE=1``): nobody watches them, and they would clutter the book. Figures always use
    the inline backend, whatever ``MPLBACKEND`` says. Returns the wall time in seconds.
    """
    import papermill

    if profile not in PROFILES:
        raise InvalidInputError(f"profile must be one of {PROFILES}, got {profile!r}.")
    params = dict(parameters or {})
    if profile != "full":
        params["profile"] = profile
    start = time.perf_counter()
    # Inherited by the kernel: no progress bars, and figures captured inline even when the caller
    # set a non-interactive backend (MPLBACKEND=Agg would silently drop every figure).
    kernel_env = {"TQDM_DISABLE": "1", "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    previous = {name: os.environ.get(name) for name in kernel_env}
    os.environ.update(kernel_env)
    try:
        papermill.execute_notebook(
            str(path),
            str(output_path),
            parameters=params or None,
            cwd=str(path.parent),
            kernel_name="python3",
            progress_bar=False,
            log_output=False,
        )
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name)
            else:
                os.environ[name] = value
    return time.perf_counter() - start


def _sources(notebook) -> list[str]:
    return [cell.source for cell in notebook.cells]


def _strip_run_metadata(notebook):
    """Drop papermill's per-cell bookkeeping so that a re-run changes outputs only, and the
    machine's paths from its notebook record (kept: the duration and end time, which the
    reproducing page reports)."""
    record = notebook.get("metadata", {}).get("papermill", {})
    for key in ("input_path", "output_path"):
        if record.get(key):
            record[key] = f"notebooks/{Path(record[key]).name}"
    for cell in notebook["cells"]:
        cell.get("metadata", {}).pop("papermill", None)
        cell.get("metadata", {}).pop("execution", None)
    return notebook


def regenerate(path: Path) -> float:
    """Re-execute one notebook in its full profile and write it back in place (outputs only)."""
    import nbformat

    before = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".run-") as tmp:
        executed_path = Path(tmp) / path.name
        seconds = run_notebook(path, executed_path, profile="full")
        executed = _strip_run_metadata(nbformat.read(executed_path, as_version=4))
        if _sources(executed) != _sources(before):
            raise RuntimeError(f"{path.name}: executing changed cell sources; not written back.")
        nbformat.write(executed, executed_path)
        os.replace(executed_path, path)
    return seconds
