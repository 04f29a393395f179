"""Result tables: the machine-readable numbers each chapter publishes under ``book/results/``."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any

import numpy as np


def _plain(value: Any) -> Any:
    """NumPy scalars and arrays → plain Python, so that ``json`` can write them."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
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

    Every table records ``cpu`` (:func:`emostudy.timing.cpu_description`: model, instruction-set
    flags, cores, bfloat16 support), so that any time in it can be read against the machine that
    measured it. Quick-profile runs pass a temporary ``results_dir``, so they never overwrite
    published tables. Returns the path written.
    """
    import emostudy
    from emostudy.timing import cpu_description

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
        "results": _plain(results),
    }
    path = folder / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, sort_keys=False) + "\n")
    return path


def load_results(name: str, results_dir: str | os.PathLike) -> dict[str, Any]:
    """Read a table written by :func:`save_results` (the whole payload, including metadata)."""
    return json.loads((Path(results_dir) / f"{name}.json").read_text())
