"""Chapter selection and the write-back rule of full runs."""

import json

import nbformat
import pytest

from emostudy.book import list_notebooks, regenerate, run_notebook
from emostudy.errors import InvalidInputError


def _notebook(folder, name, body):
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('profile = "full"\nresults_dir = "."')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(body)]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = folder / name
    nbformat.write(nb, path)
    return path


def test_chapter_selection(tmp_path):
    for name in ["01_a.ipynb", "02_b.ipynb", "10_c.ipynb"]:
        _notebook(tmp_path, name, "pass")
    assert [p.name for p in list_notebooks([], tmp_path)] == [
        "01_a.ipynb",
        "02_b.ipynb",
        "10_c.ipynb",
    ]
    assert [p.name for p in list_notebooks(["2"], tmp_path)] == ["02_b.ipynb"]
    with pytest.raises(InvalidInputError, match="01_a, 02_b, 10_c"):
        list_notebooks(["07"], tmp_path)


def test_quick_run_injects_the_profile(tmp_path):
    path = _notebook(tmp_path, "01_a.ipynb", "print(profile)")
    run_notebook(path, tmp_path / "out.ipynb", profile="quick")
    executed = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    assert executed.cells[-1].outputs[0]["text"].strip() == "quick"
    with pytest.raises(InvalidInputError, match="profile"):
        run_notebook(path, tmp_path / "x.ipynb", profile="medium")


def test_quick_run_keeps_its_training_runs_out_of_the_checkout(tmp_path):
    """run_dir is computed from the default profile in the parameters cell, before papermill
    injects the quick profile; the runner points it beside the executed notebook instead."""
    path = _notebook(tmp_path, "01_a.ipynb", "print(run_dir)")
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source += '\nrun_dir = f"runs/{profile}"'
    nbformat.write(nb, path)
    out = tmp_path / "quick"
    out.mkdir()
    run_notebook(path, out / "01_a.ipynb", profile="quick")
    executed = nbformat.read(out / "01_a.ipynb", as_version=4)
    assert executed.cells[-1].outputs[0]["text"].strip() == str(out / "runs" / "01_a")
    regenerate(path)
    full = nbformat.read(path, as_version=4)
    assert "".join(full.cells[-1].outputs[0]["text"]).strip() == "runs/full"


def test_full_run_writes_outputs_only(tmp_path):
    path = _notebook(tmp_path, "01_a.ipynb", "print(profile, 6 * 7)")
    before = json.loads(path.read_text())
    regenerate(path)
    after = json.loads(path.read_text())
    assert [c["source"] for c in after["cells"]] == [c["source"] for c in before["cells"]]
    assert "".join(after["cells"][-1]["outputs"][0]["text"]).strip() == "full 42"
    assert "papermill" not in after["cells"][-1]["metadata"]


def test_a_failing_full_run_leaves_the_notebook_untouched(tmp_path):
    path = _notebook(tmp_path, "01_a.ipynb", "raise RuntimeError('boom')")
    before = path.read_bytes()
    with pytest.raises(Exception, match="boom"):
        regenerate(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["01_a.ipynb"]
