"""Every chapter runs in its quick profile, into a temporary folder, without touching the book.

Chapter-specific checks of the numbers a quick run must reproduce live in test_chapter_NN.py files
and reuse the same runs through the ``quick_run`` fixture (tests/conftest.py).
"""

import hashlib
import json
from pathlib import Path

import pytest

from emostudy.book import LEDGER_NAME, list_notebooks

NOTEBOOKS = list_notebooks()
RESULTS = Path(__file__).resolve().parents[1] / "book" / "results"


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*"))}


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_quick_run_succeeds_and_leaves_the_book_alone(path, quick_run):
    committed = path.read_bytes()
    tables_before = _digest(RESULTS)
    executed, results_dir = quick_run(path.stem)
    assert path.read_bytes() == committed, "a quick run changed the committed notebook"
    assert _digest(RESULTS) == tables_before, "a quick run changed a published result table"
    notebook = json.loads(executed.read_text())
    outputs = [o for c in notebook["cells"] if c["cell_type"] == "code" for o in c["outputs"]]
    assert not [o for o in outputs if o["output_type"] == "error"]
    injected = [
        "".join(c["source"])
        for c in notebook["cells"]
        if "injected-parameters" in c.get("metadata", {}).get("tags", [])
    ]
    assert injected and 'profile = "quick"' in injected[0], "the quick profile was not injected"
    tables = list(results_dir.glob("*.json"))
    assert tables, "the chapter wrote no result table into its results_dir"
    for table in tables:
        payload = json.loads(table.read_text())
        if table.stem == LEDGER_NAME:  # the PrivateTest ledger: each line records its own profile
            assert payload["entries"], "a quick run wrote an empty PrivateTest ledger"
            assert {entry["profile"] for entry in payload["entries"]} == {"quick"}
        else:
            assert payload["profile"] == "quick", f"{table.name} is not marked as a quick run"


def test_every_committed_notebook_has_parameters_and_full_outputs():
    for path in NOTEBOOKS:
        notebook = json.loads(path.read_text())
        code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
        tagged = [c for c in code if "parameters" in c["metadata"].get("tags", [])]
        assert len(tagged) == 1, f"{path.name}: one cell must be tagged 'parameters'"
        source = "".join(tagged[0]["source"])
        assert 'profile = "full"' in source, (
            f"{path.name}: committed default must be the full profile"
        )
        assert "results_dir" in source and "seed" in source
        executed = [c["execution_count"] is not None for c in code if c["source"]]
        assert all(executed), f"{path.name}: committed with unexecuted cells"
        assert any(c["outputs"] for c in code), f"{path.name}: committed without outputs"
        errors = [o for c in code for o in c["outputs"] if o["output_type"] == "error"]
        assert not errors, f"{path.name}: committed with an error output"


FOLDED = {"hide-input", "hide-cell", "remove-input", "remove-cell"}


def code_lines(notebook: dict) -> tuple[int, int]:
    """(all, shown) non-blank lines of a notebook's code cells; shown counts the cells whose code
    the rendered page shows unfolded (no hide-/remove- tag)."""
    total = shown = 0
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        lines = sum(1 for line in "".join(cell["source"]).splitlines() if line.strip())
        total += lines
        if not FOLDED & set(cell["metadata"].get("tags", [])):
            shown += lines
    return total, shown


def test_code_lines_count_only_unfolded_cells():
    notebook = {
        "cells": [
            {"cell_type": "code", "metadata": {"tags": []}, "source": ["a = 1\n", "\n", "b = 2"]},
            {"cell_type": "code", "metadata": {"tags": ["hide-input"]}, "source": ["plot()"]},
            {"cell_type": "markdown", "metadata": {}, "source": ["text"]},
        ]
    }
    assert code_lines(notebook) == (3, 2)


def test_readers_scroll_past_under_half_of_the_notebooks_code():
    """The book's promise (book/intro.md): set-up, drawing, table styling and records are folded,
    so the code a reader scrolls past is under half of the notebooks' code."""
    counts = [code_lines(json.loads(path.read_text())) for path in NOTEBOOKS]
    total = sum(t for t, _ in counts)
    shown = sum(s for _, s in counts)
    assert shown < 0.5 * total, f"{shown:,} of {total:,} code lines are shown unfolded"
