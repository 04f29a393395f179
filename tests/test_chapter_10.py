"""Chapter 10 (recipe ablation): every variant on one budget, each tested against the recipe."""

import json
import re
from pathlib import Path

import pytest

from emostudy.book import load_results
from emostudy.training import HEADLINE

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

VARIANTS = [
    "headline recipe",
    "no label smoothing",
    "no random erasing",
    "no augmentation",
    "Adam, constant rate",
    "+ dropout, mixup",
]


@pytest.mark.notebook
def test_chapter_trains_every_variant_on_the_same_budget(quick_run):
    _, results_dir = quick_run("10_recipe_ablations")
    table = load_results("recipe_ablations", results_dir)
    assert table["profile"] == "quick"
    results = table["results"]
    runs = results["runs"]
    assert [run["variant"] for run in runs] == VARIANTS
    budget = results["budget"]
    assert budget["epochs"] == 1  # quick profile: one epoch per run
    for run in runs:
        assert run["n_train"] == budget["n_train"] and run["epochs"] == 1, run["variant"]
        assert 0 <= run["val_ci_low"] <= run["val_accuracy"] <= run["val_ci_high"] <= 1
        assert run["seconds"] > 0


@pytest.mark.notebook
def test_chapter_tests_each_change_against_the_recipe_on_publictest_only(quick_run):
    executed, results_dir = quick_run("10_recipe_ablations")
    results = load_results("recipe_ablations", results_dir)["results"]
    tests = {row["variant"]: row for row in results["paired_tests"]}
    assert list(tests) == VARIANTS[1:]
    accuracy = {run["variant"]: run["val_accuracy"] for run in results["runs"]}
    for name, row in tests.items():
        assert row["accuracy"] == pytest.approx(accuracy[name])
        assert row["change"] == pytest.approx(accuracy[name] - accuracy["headline recipe"])
        assert 0 <= row["p_value"] <= 1
    code = "".join(
        "".join(cell["source"])
        for cell in json.loads(executed.read_text())["cells"]
        if cell["cell_type"] == "code"
    )
    assert "data.select" in code and "data.report" not in code  # PrivateTest is never touched
    estimate = results["full_recipe_estimate"]
    assert estimate["epochs"] == HEADLINE.config.epochs and estimate["minutes"] > 0


def _markdown(stem: str) -> str:
    cells = json.loads((NOTEBOOKS / f"{stem}.ipynb").read_text())["cells"]
    return "\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def test_chapter_opens_with_what_it_assumes_and_closes_with_exercises_and_reading():
    text = _markdown("10_recipe_ablations")
    opening = text.split("\n## ")[0]
    assert "What you will learn" in opening and "What this chapter assumes" in opening
    sections = re.split(r"^## ", text, flags=re.M)
    titles = [section.split("\n")[0].strip() for section in sections]
    assert titles[-3:] == ["Summary", "Exercises", "Further reading"]
    assert "What a re-run changes" in titles  # the chapter's tolerance
    exercises = re.findall(r"^\d+\. ", sections[-2], flags=re.M)
    assert 3 <= len(exercises) <= 5
    assert sections[-2].count("`") >= 2 * len(exercises)  # each names a setting to change
    assert len(re.findall(r"\{cite\}`", sections[-1])) >= 3


def test_chapter_points_to_targets_that_chapter_9_defines():
    text = _markdown("10_recipe_ablations")
    labels = set(re.findall(r"^\(([a-z0-9-]+)\)=", _markdown("09_emotion_cnns"), flags=re.M))
    wanted = set(re.findall(r"\{ref\}`[^`<]*<(ch9-[a-z0-9-]+)>`", text))
    assert wanted and wanted <= labels
    assert "68%" not in text  # the target is chapter 9's, not typed again here
