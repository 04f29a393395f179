"""The book's API page, generated from the packages' ``__all__``: the public names, by floor.

``emostudy/book/api_page.py`` writes ``book/api.md``; a test regenerates it and compares, so the
page can never document a name that is not public, nor miss one that is.
"""

from __future__ import annotations

import importlib
from pathlib import Path

#: The floors of the house, bottom up: (title, what lives there, packages or modules).
FLOORS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "Floor 0: foundations",
        "Errors, settings and downloads, box geometry, image reading, what the CPU can do.",
        (
            "emostudy.errors",
            "emostudy.settings",
            "emostudy.downloads",
            "emostudy.geometry",
            "emostudy.imageio",
            "emostudy.hardware",
        ),
    ),
    (
        "Floor 1: data and from-scratch networks",
        "FER-2013, CK+, WIDER FACE and the synthetic stand-in as `FaceSet`s; the NumPy teaching "
        "code of chapters 1-4, checked against the libraries in the tests.",
        ("emostudy.data", "emostudy.nn"),
    ),
    (
        "Floor 2: detectors, faces and evaluation",
        "Nine face detectors behind one interface; the FER-style crop and dlib's landmarks; "
        "scores, intervals, detection AP, published reference numbers and timing per image.",
        ("emostudy.detectors", "emostudy.faces", "emostudy.evaluation"),
    ),
    (
        "Floor 3: models",
        "Builders and layers, the shipped models and their cards, the model input and "
        "prediction with test-time averaging, inference engines, export, cost and inspection.",
        ("emostudy.models",),
    ),
    (
        "Floor 4: training",
        "Configuration, the input pipeline, callbacks, the loop, precision, multi-worker "
        "training, the headline recipes, experiments over variants and timing.",
        ("emostudy.training",),
    ),
    (
        "Floor 5: transfer learning and the recognizer",
        "Cross-validated methods on CK+ subject folds; the recognizer, tracking and video.",
        ("emostudy.transfer", "emostudy.recognition"),
    ),
    ("Floor 6: figures", "Every figure of the book, by subject.", ("emostudy.plots",)),
    (
        "Floor 7: the book's applications",
        "Result tables and the PrivateTest ledger, the notebook runner, the headline model's "
        "training command and chapter scaffolding. The `emostudy` command (`emostudy --help`) "
        "sits on top: recognize, export, headline, run.",
        ("emostudy.book",),
    ),
)

#: Methods that scikit-learn's estimators add to our classes; documented by scikit-learn.
_INHERITED = "get_params, set_params, get_metadata_routing, set_fit_request, set_score_request"

_INTRO = """# The `emostudy` library

The notebooks import everything they reuse from `emostudy`. The package is a house of floors: each
floor leans only on the floors below it, which an import-linter contract checks in `make test`
(it follows imports inside functions too, so a cycle or an upward import fails the build).
`import emostudy` gives the entry points a newcomer needs first, loaded on first use:
{entry_points}.

This page is generated from each package's `__all__` by `emostudy.book.api_page` (a test keeps it
current): it documents exactly the public names, floor by floor.
"""


def render_api_page() -> str:
    """The Markdown of the API page: one section per floor, one autodoc block per package."""
    import emostudy

    entry_points = ", ".join(f"`{name}`" for name in emostudy.__all__ if name != "__version__")
    parts = [_INTRO.format(entry_points=entry_points)]
    for title, about, modules in FLOORS:
        parts.append(f"## {title}\n\n{about}\n")
        for name in modules:
            names = ", ".join(importlib.import_module(name).__all__)
            parts.append(
                f"```{{eval-rst}}\n.. automodule:: {name}\n   :members: {names}\n"
                f"   :imported-members:\n   :exclude-members: {_INHERITED}\n```\n"
            )
    return "\n".join(parts)


def write_api_page(path: str | Path) -> Path:
    """Write :func:`render_api_page` to ``path`` (the book's ``book/api.md``); returns the path."""
    path = Path(path)
    path.write_text(render_api_page())
    return path
