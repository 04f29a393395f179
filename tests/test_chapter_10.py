"""Chapter 10 (recipe ablation): every variant on one budget, each tested against the recipe."""

import json

import pytest

from emostudy.book import load_results
from emostudy.training import HEADLINE

pytestmark = pytest.mark.notebook

VARIANTS = [
    "headline recipe",
    "no label smoothing",
    "no random erasing",
    "no augmentation",
    "Adam, constant rate",
    "+ dropout, mixup",
]


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
