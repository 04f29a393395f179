"""The book's generated pages never go stale: the results page and the landing page's headline
table are regenerated from ``book/results/*.json`` and compared with the committed files, and the
landing figure is redrawn and compared with the committed one."""

import json
from pathlib import Path

import pytest

from emostudy.book import chapter_run_times, render_run_times
from emostudy.book.landing import landing_figure
from emostudy.book.results_page import (
    GENERATED_MARK,
    describe_cpu,
    fer2013_headline,
    ledger_summary,
    load_tables,
    render_headline,
    render_results_page,
)

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "book" / "results"
FIX = "regenerate with `emostudy pages` from the checkout's root"


@pytest.fixture(scope="module")
def tables():
    return load_tables(RESULTS)


def test_results_page_is_current(tables):
    committed = (ROOT / "book" / "results.md").read_text()
    assert committed == render_results_page(tables), f"book/results.md is stale: {FIX}"


def test_landing_headline_is_current(tables):
    committed = (ROOT / "book" / "_generated" / "headline.md").read_text()
    assert committed == render_headline(tables), f"book/_generated/headline.md is stale: {FIX}"
    assert "_generated/headline.md" in (ROOT / "book" / "intro.md").read_text()


def test_results_page_says_what_each_number_was_selected_and_reported_on(tables):
    page = render_results_page(tables)
    assert page.startswith(GENERATED_MARK)
    head = fer2013_headline(tables)
    assert head["default"]["row"] in page and "(chapter 9's default)" in page
    # The package's shipped default (the FER+ model) has its own section, named as shipped.
    shipped = tables["ferplus_evaluation"]["results"]["model"]
    assert f"shipped default `{shipped}`" in page and "ten annotators' votes" in page
    assert f"{100 * head['default']['privatetest']['accuracy']:.1f}%" in page
    for section in ("FER-2013", "PrivateTest ledger", "CK+", "WIDER FACE", "Speed"):
        assert section in page, section
    assert page.count("Processor:") >= 6
    assert describe_cpu(tables["fer2013"]["cpu"]) in page
    # The six-class evaluations of chapter 11 are never summarised with the seven-class ones.
    groups = ledger_summary(tables["privatetest_ledger"])
    assert {g["n_images"] for g in groups} >= {3589, 2963}
    assert "cannot be compared" in page


def test_describe_cpu_without_a_record():
    assert describe_cpu(None) == "not recorded in its table"
    cpu = {"model": "Some CPU", "cores": 4, "simd_flags": ["avx2", "amx_bf16"], "bfloat16": "AMX"}
    assert describe_cpu(cpu) == "Some CPU, 4 cores, AVX2 and AMX; bfloat16: AMX"
    assert describe_cpu(cpu, bfloat16=False) == "Some CPU, 4 cores, AVX2 and AMX"


def test_landing_figure_matches_the_committed_one(tmp_path):
    from PIL import Image

    committed_png = ROOT / "book" / "images" / "landing_astronaut.png"
    committed = json.loads(committed_png.with_suffix(".json").read_text())
    summary = landing_figure(tmp_path / "landing.png")
    with Image.open(tmp_path / "landing.png") as new, Image.open(committed_png) as old:
        assert new.size == old.size == (committed["width"], committed["height"])
    assert len(summary["faces"]) == len(committed["faces"]) >= 1, (
        "the recognizer finds a different number of faces in the demo photo: "
        "regenerate with `emostudy pages`"
    )


def test_run_times_table_is_current():
    committed = (ROOT / "book" / "_generated" / "run_times.md").read_text()
    rendered = render_run_times(chapter_run_times(results_dir=RESULTS))
    assert committed == rendered, f"book/_generated/run_times.md is stale: {FIX}"


def test_run_times_come_from_the_notebooks_papermill_record(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    cpu = {"model": "Test CPU", "cores": 4, "simd_flags": ["avx2"]}
    (results / "perceptron.json").write_text(json.dumps({"cpu": cpu, "results": {}}))
    (results / "multilayer_networks.json").write_text(json.dumps({"results": {}}))

    def notebook(name, papermill):
        cells = [{"cell_type": "markdown", "source": ["# 1. A title\n", "text"], "metadata": {}}]
        path = tmp_path / name
        path.write_text(json.dumps({"cells": cells, "metadata": {"papermill": papermill}}))
        return path

    paths = [
        notebook("01_a.ipynb", {"duration": 90.0, "end_time": "2026-12-06T15:00:00+00:00"}),
        notebook("02_b.ipynb", {"duration": 4500.0, "end_time": "2026-12-05T01:02:03+00:00"}),
        notebook("03_c.ipynb", {}),
    ]
    rows = chapter_run_times(paths, results_dir=results)
    assert [row["chapter"] for row in rows] == ["01", "02", "03"]
    assert rows[0] == {
        "chapter": "01",
        "title": "1. A title",
        "seconds": 90.0,
        "finished": "2026-12-06",
        "cpu": "Test CPU, 4 cores, AVX2",
    }
    assert rows[1]["cpu"] == "not recorded in its table" and rows[2]["seconds"] is None
    text = render_run_times(rows)
    assert "| 1. A title | 1.5 min | 2026-12-06 | Test CPU, 4 cores, AVX2 |" in text
    assert "1 h 15 min" in text and "| **all 2 chapters** | **1 h 16 min** | | |" in text
