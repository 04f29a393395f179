"""Chapter 3 (training in practice): the numbers its quick run must reproduce.

Only what holds in any run is asserted: the protocol (no PrivateTest, a disjoint stratified
held-out set), the bookkeeping of the variant tables, the selection-bias simulation, and the
evaluation metrics (equal to scikit-learn's, intervals around their estimates). Which regulariser
wins is a finding of the full run, not something a few-epoch quick run can reproduce.
"""

import math

import pytest

from emostudy.book import load_results


@pytest.fixture(scope="module")
def table(quick_run):
    _, results_dir = quick_run("03_training_in_practice")
    return load_results("training_in_practice", results_dir)["results"]


@pytest.mark.notebook
def test_privatetest_is_never_used_and_the_holdout_is_disjoint(table):
    data = table["data"]
    assert data["usages"] == ["PublicTest", "Training"]
    assert data["privatetest_images"] == 0
    assert data["holdout_overlap"] == 0
    assert data["n_holdout"] > 0 and data["n_training_pool"] > 5 * data["n_holdout"]
    assert data["max_class_share_difference"] < 0.02  # stratified
    assert table["holdout"]["n"] == data["n_holdout"]


@pytest.mark.notebook
def test_selecting_the_best_of_many_is_optimistic(table):
    for optimism in (
        table["selection_bias"]["optimism_by_k"],
        table["selection_bias"]["optimism_by_k_n500"],
    ):
        assert abs(optimism["1"]) < 0.003  # one candidate: no selection, no bias
        assert 0 < optimism["2"] < optimism["5"] < optimism["20"] < optimism["100"]
    # a smaller validation set is noisier, so its winner looks better still
    bias = table["selection_bias"]
    if bias["n_validation"] > 500:
        assert bias["optimism_by_k"]["20"] < bias["optimism_by_k_n500"]["20"]


def _rows(records, key="variant"):
    return {row[key]: row for row in records}


@pytest.mark.notebook
def test_every_variant_row_is_consistent(table):
    variants = _rows(table["variants"])
    assert {
        "baseline (book MLP)",
        "dropout 0.5",
        "augmentation",
        "early stopping",
        "batch normalisation",
    } <= set(variants)
    assert any(name.startswith("more data") for name in variants)
    assert sum(name.startswith("L2") for name in variants) == 3
    for records in (
        table["variants"],
        table["capacity"],
        table["learning_curve"],
        table["batch_lr_grid"],
    ):
        for row in records:
            assert math.isclose(row["gap"], row["train_accuracy"] - row["val_accuracy"])
            assert 1 <= row["best_epoch"] <= row["epochs"]
            assert row["val_ci_low"] <= row["val_accuracy"] <= row["val_ci_high"]
            assert row["seconds_per_epoch"] > 0
    baseline = variants["baseline (book MLP)"]
    assert variants["early stopping"]["epochs"] <= baseline["epochs"]
    more = next(row for name, row in variants.items() if name.startswith("more data"))
    assert more["n_train"] > baseline["n_train"]


@pytest.mark.notebook
def test_capacity_and_learning_curve_are_ordered(table):
    params = [row["n_params"] for row in table["capacity"]]
    assert params == sorted(params) and len(set(params)) == len(params)
    sizes = [row["n_train"] for row in table["learning_curve"]]
    assert sizes == sorted(sizes) and len(set(sizes)) == len(sizes)
    assert sizes[-1] == table["data"]["n_training_pool"]
    grid = table["batch_lr_grid"]
    assert len(grid) == len({row["batch_size"] for row in grid}) * len(
        {row["learning_rate"] for row in grid}
    )


@pytest.mark.notebook
def test_metrics_equal_scikit_learn_and_intervals_contain_estimates(table):
    evaluation = table["evaluation"]
    assert evaluation["max_abs_difference_sklearn"] == 0.0
    assert evaluation["ci_contains_estimates"] is True
    for metric in ("accuracy", "balanced_accuracy", "macro_f1"):
        low, high = evaluation["ci"][metric]
        assert low <= evaluation[metric] <= high
    assert (
        sum(map(sum, evaluation["confusion"])) == evaluation["n"] == table["data"]["n_publictest"]
    )
    assert sum(c["support"] for c in evaluation["per_class"].values()) == evaluation["n"]
    widths = list(evaluation["ci_width_by_n"].values())
    assert widths[0] > widths[-1]  # fewer evaluation images, wider interval
    no_change = _rows(evaluation["mcnemar"], "model B (model A: the baseline)")["early stopping"]
    assert 0.0 <= no_change["p_value"] <= 1.0


@pytest.mark.notebook
def test_the_selected_model_is_evaluated_once_on_the_holdout(table):
    holdout, evaluation = table["holdout"], table["evaluation"]
    assert holdout["model"] == evaluation["selected"]
    assert holdout["publictest_accuracy"] == evaluation["accuracy"]
    low, high = holdout["ci"]["accuracy"]
    assert 0.0 <= low <= holdout["accuracy"] <= high <= 1.0
    assert table["random_labels"]["chance"] < 0.5


@pytest.mark.notebook
def test_every_glued_number_can_be_formatted(quick_run):
    """{glue:text}`key:.1%` needs a plain Python literal: a glued np.float64 would not format."""
    import ast

    import nbformat

    executed, _ = quick_run("03_training_in_practice")
    notebook = nbformat.read(executed, as_version=4)
    glued = {
        output["metadata"]["scrapbook"]["name"]: output["data"]
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if "scrapbook" in output.get("metadata", {})
    }
    assert len(glued) > 50
    for name, data in glued.items():
        text = data["application/papermill.record/text/plain"]
        assert not text.startswith("np."), (name, text)
        ast.literal_eval(text)
