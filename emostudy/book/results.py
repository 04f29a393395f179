"""Result tables: the machine-readable numbers each chapter publishes under ``book/results/``."""

from __future__ import annotations

import json
import os
import platform
import re
from collections.abc import Mapping
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
    n_classes: int | None = None,
    labels: str | None = None,
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
    n_classes, labels
        The number of classes scored and the labels they were scored against (``"FER-2013"``
        or ``"FER+ majority"``). By default read from ``model`` and ``recipe`` (see
        :func:`ledger_scoring`): seven FER-2013 classes unless they say otherwise.
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
    inferred_classes, inferred_labels = ledger_scoring({"model": model, "recipe": recipe})
    n_classes = inferred_classes if n_classes is None else int(n_classes)
    if n_classes < 2:
        raise ValueError(f"n_classes is the number of classes scored (>= 2), got {n_classes!r}.")
    entry = {
        "date": date or datetime.datetime.now(datetime.UTC).date().isoformat(),
        "model": str(model),
        "recipe": str(recipe),
        "accuracy": accuracy,
        "n_images": int(n_images),
        "n_classes": n_classes,
        "labels": str(labels or inferred_labels),
        "why": str(why),
        "source": str(source),
        "profile": str(profile),
        "emostudy": emostudy.__version__,
    }
    ledger["entries"].append(entry)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(ledger, indent=1) + "\n")
    return path


_CLASS_WORDS = {"six": 6, "seven": 7, "eight": 8}
_CLASS_COUNT = re.compile(r"\b(\d+|six|seven|eight)\s+(?:shared\s+)?classes\b", re.IGNORECASE)
_BACKFILLED = re.compile(r"\s*\(backfilled from git (\w+)\)\s*$")


def ledger_scoring(entry: Mapping[str, Any]) -> tuple[int, str]:
    """How many classes a ledger entry scored, and against which labels.

    Parameters
    ----------
    entry
        One ledger entry (a mapping with ``model`` and ``recipe``, and, for entries written since
        the ledger records them, ``n_classes`` and ``labels``).

    Returns
    -------
    tuple of (int, str)
        ``(n_classes, labels)``: the recorded values when present; otherwise read from the entry's
        model and recipe text (``"six classes"``, ``"8 classes"``, ``"7 shared classes"``;
        ``"FER+ ... majority"`` for the annotators' majority label), with FER-2013's seven classes
        and its own labels as the default.
    """
    text = f"{entry.get('model', '')}; {entry.get('recipe', '')}"
    n_classes = entry.get("n_classes")
    if n_classes is None:
        found = _CLASS_COUNT.search(text)
        word = found.group(1).lower() if found else "7"
        n_classes = _CLASS_WORDS.get(word) or int(word)
    labels = entry.get("labels")
    if not labels:
        majority = "FER+" in text and "majority" in text.lower()
        labels = "FER+ majority" if majority else "FER-2013"
    return int(n_classes), str(labels)


def load_privatetest_ledger(results_dir: str | os.PathLike):
    """The PrivateTest ledger of ``results_dir`` as a DataFrame, one row per evaluation (empty
    when nothing was recorded).

    Accuracies on different tasks must not be set side by side, so every row says what it scored:
    ``n_classes`` and ``labels`` (see :func:`ledger_scoring`), and ``source`` names the code that
    wrote the row *and* that task, e.g. ``"notebooks/11_transfer_learning.ipynb (6 classes,
    FER-2013 labels)"``: grouping by ``source`` never mixes six-, seven- and eight-class scores.
    ``written_by`` keeps the code alone; ``backfilled_from`` is the git commit an entry was
    recovered from (entries older than the ledger), empty otherwise.

    Returns
    -------
    pandas.DataFrame
        Columns ``date``, ``model``, ``recipe``, ``accuracy`` (fraction), ``n_images``,
        ``n_classes``, ``labels``, ``why``, ``source``, ``written_by``, ``backfilled_from``,
        ``profile``, ``emostudy``.
    """
    import pandas as pd

    columns = [
        "date",
        "model",
        "recipe",
        "accuracy",
        "n_images",
        "n_classes",
        "labels",
        "why",
        "source",
        "written_by",
        "backfilled_from",
        "profile",
        "emostudy",
    ]
    path = Path(results_dir) / f"{LEDGER_NAME}.json"
    if not path.is_file():
        return pd.DataFrame(columns=columns)
    rows = []
    for entry in json.loads(path.read_text())["entries"]:
        n_classes, labels = ledger_scoring(entry)
        backfill = _BACKFILLED.search(entry["source"])
        written_by = _BACKFILLED.sub("", entry["source"])
        rows.append(
            {
                **entry,
                "n_classes": n_classes,
                "labels": labels,
                "source": f"{written_by} ({n_classes} classes, {labels} labels)",
                "written_by": written_by,
                "backfilled_from": backfill.group(1) if backfill else "",
            }
        )
    return pd.DataFrame(rows, columns=columns)
