"""Every chapter runs in its quick profile, into a temporary folder, without touching the book.

The executed notebooks are kept for the checks that follow (values each chapter must reproduce).
"""

import hashlib
import json
from pathlib import Path

import pytest

from emostudy.results import load_results
from emostudy.runner import list_notebooks, run_notebook

NOTEBOOKS = list_notebooks()
RESULTS = Path(__file__).resolve().parents[1] / "book" / "results"


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*"))}


@pytest.fixture(scope="session")
def quick_runs(tmp_path_factory):
    """Run every notebook once (quick profile) and return {stem: (executed_path, results_dir)}."""
    out = tmp_path_factory.mktemp("quick-runs")
    return {"out": out, "runs": {}}


def _run(quick_runs, path: Path):
    runs = quick_runs["runs"]
    if path.stem not in runs:
        results_dir = quick_runs["out"] / "results"
        executed = quick_runs["out"] / path.name
        seconds = run_notebook(
            path, executed, profile="quick", parameters={"results_dir": str(results_dir)}
        )
        print(f"{path.name}: quick run in {seconds:.0f} s")
        runs[path.stem] = (executed, results_dir)
    return runs[path.stem]


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_quick_run_succeeds_and_leaves_the_book_alone(path, quick_runs):
    committed = path.read_bytes()
    tables_before = _digest(RESULTS)
    executed, results_dir = _run(quick_runs, path)
    assert path.read_bytes() == committed, "a quick run changed the committed notebook"
    assert _digest(RESULTS) == tables_before, "a quick run changed a published result table"
    notebook = json.loads(executed.read_text())
    outputs = [o for c in notebook["cells"] if c["cell_type"] == "code" for o in c["outputs"]]
    assert not [o for o in outputs if o["output_type"] == "error"]
    assert any("quick" in json.dumps(o) for o in outputs), "the quick profile was not injected"
    tables = list(results_dir.glob("*.json"))
    assert tables, "the chapter wrote no result table into its results_dir"
    assert all(json.loads(t.read_text())["profile"] == "quick" for t in tables)


@pytest.mark.notebook
def test_perceptron_chapter_numbers(quick_runs):
    path = next(p for p in NOTEBOOKS if p.stem == "01_perceptron")
    _, results_dir = _run(quick_runs, path)
    table = load_results("perceptron", results_dir)["results"]
    assert table["separable"]["converged"] is True
    assert table["xor"]["converged"] is False
    assert table["xor"]["accuracy"] < 0.8 < table["xor"]["accuracy_with_product_feature"]
    assert table["digits_3_vs_8"]["max_weight_difference"] == 0.0
    assert table["digits_10_ovr"]["test_accuracy"] > 0.85
    faces = table["faces_happy_vs_sad"]
    assert faces["publictest_balanced_accuracy"] > 0.5


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
        assert all(c["outputs"] or not c["source"] for c in code), f"{path.name}: not executed"
        errors = [o for c in code for o in c["outputs"] if o["output_type"] == "error"]
        assert not errors, f"{path.name}: committed with an error output"
