"""Result tables: the machine-readable numbers each chapter publishes under ``book/results/``."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any

import numpy as np


def to_plain(value: Any) -> Any:
    """NumPy scalars and arrays → plain Python, so that ``json`` can write them."""
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def save_results(
    name: str, results: dict[str, Any], results_dir: str | os.PathLike, *, profile: str, seed: int
) -> Path:
    """Write ``results`` to ``<results_dir>/<name>.json`` with the run's profile, seed, versions
    and processor.

    Every table records ``cpu`` (:func:`emostudy.hardware.cpu_description`: model, instruction-set
    flags, cores, bfloat16 support), so that any time in it can be read against the machine that
    measured it. Quick-profile runs pass a temporary ``results_dir``, so they never overwrite
    published tables. Returns the path written.
    """
    import emostudy
    from emostudy.hardware import cpu_description

    folder = Path(results_dir)
    folder.mkdir(parents=True, exist_ok=True)
    payload = {
        "name": name,
        "profile": profile,
        "seed": seed,
        "emostudy": emostudy.__version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "cpu": cpu_description(),
        "results": to_plain(results),
    }
    path = folder / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, sort_keys=False) + "\n")
    return path


def load_results(name: str, results_dir: str | os.PathLike) -> dict[str, Any]:
    """Read a table written by :func:`save_results` (the whole payload, including metadata)."""
    return json.loads((Path(results_dir) / f"{name}.json").read_text())


def tables_recording_cpu(results_dir: str | os.PathLike) -> dict[str, Any]:
    """Which chapter result tables in ``results_dir`` record the processor that measured them.

    A chapter table is a ``*.json`` file written by :func:`save_results` (it has a ``results``
    key); the PrivateTest ledger and other files are not counted. Tables written before
    :func:`save_results` recorded ``cpu`` lack it until their chapter is re-run.

    Parameters
    ----------
    results_dir
        The results folder (``book/results``).

    Returns
    -------
    dict
        ``n_tables`` (chapter tables found), ``n_with_cpu`` (those with a ``cpu`` key), and the
        sorted file stems ``with_cpu`` and ``without_cpu``.
    """
    with_cpu, without_cpu = [], []
    for path in sorted(Path(results_dir).glob("*.json")):
        payload = json.loads(path.read_text())
        if not isinstance(payload, dict) or "results" not in payload:
            continue
        (with_cpu if "cpu" in payload else without_cpu).append(path.stem)
    return {
        "n_tables": len(with_cpu) + len(without_cpu),
        "n_with_cpu": len(with_cpu),
        "with_cpu": with_cpu,
        "without_cpu": without_cpu,
    }


#: Name of the PrivateTest ledger in a results folder (``<results_dir>/privatetest_ledger.json``).
LEDGER_NAME = "privatetest_ledger"


_LEDGER_ABOUT = (
    "Every evaluation of a model on FER-2013 PrivateTest, in order, appended by the code that "
    "made it. Nothing is chosen on these numbers: models, epochs and settings are chosen on "
    "PublicTest before a line is written here."
)


def record_privatetest(
    results_dir: str | os.PathLike,
    *,
    model: str,
    recipe: str,
    accuracy: float,
    n_images: int,
    why: str,
    source: str,
    profile: str = "full",
    date: str | None = None,
) -> Path:
    """Append one PrivateTest evaluation to the ledger in ``results_dir``; returns its path.

    Parameters
    ----------
    results_dir
        The results folder (``book/results`` for published runs; quick runs pass a temporary one,
        so they never write to the published ledger).
    model, recipe
        What was scored: a model name and how it was trained and run (e.g. the test-time
        augmentation).
    accuracy
        Accuracy on PrivateTest, a fraction in [0, 1].
    n_images
        Number of PrivateTest images scored.
    why
        Why the test set was looked at (e.g. "report the shipped model once").
    source
        The notebook or command that made the evaluation.
    profile
        The run's profile (``"full"`` or ``"quick"``).
    date
        ISO date (UTC); today by default.
    """
    import datetime

    import emostudy

    accuracy = float(accuracy)
    if not 0.0 <= accuracy <= 1.0:
        raise ValueError(f"accuracy is a fraction in [0, 1], got {accuracy!r}.")
    if not why or not str(why).strip():
        raise ValueError("Say why PrivateTest was looked at (why='...').")
    path = Path(results_dir) / f"{LEDGER_NAME}.json"
    ledger = {"about": _LEDGER_ABOUT, "entries": []}
    if path.is_file():
        ledger = json.loads(path.read_text())
    entry = {
        "date": date or datetime.datetime.now(datetime.UTC).date().isoformat(),
        "model": str(model),
        "recipe": str(recipe),
        "accuracy": accuracy,
        "n_images": int(n_images),
        "why": str(why),
        "source": str(source),
        "profile": str(profile),
        "emostudy": emostudy.__version__,
    }
    ledger["entries"].append(entry)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(ledger, indent=1) + "\n")
    return path


def load_privatetest_ledger(results_dir: str | os.PathLike):
    """The PrivateTest ledger of ``results_dir`` as a DataFrame, one row per evaluation (empty
    when nothing was recorded)."""
    import pandas as pd

    columns = ["date", "model", "recipe", "accuracy", "n_images", "why", "source", "profile"]
    path = Path(results_dir) / f"{LEDGER_NAME}.json"
    if not path.is_file():
        return pd.DataFrame(columns=columns)
    entries = json.loads(path.read_text())["entries"]
    return pd.DataFrame(entries, columns=[*columns, "emostudy"])
