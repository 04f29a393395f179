"""Evaluation figures: confusion heatmaps, run histories, learning curves, train/val per variant."""

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from emostudy.errors import InvalidInputError  # noqa: E402
from emostudy.plots import (
    plot_confusion,
    plot_histories,
    plot_learning_curve,
    plot_train_val,
    row_normalise,
)

NAMES = ["a", "b", "c"]
CONFUSION = np.array([[5, 1, 0], [2, 2, 0], [0, 0, 0]])


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_row_normalise_sums_rows_to_one_and_keeps_empty_rows_zero():
    shares = row_normalise(CONFUSION)
    np.testing.assert_allclose(shares.sum(axis=1), [1, 1, 0])
    assert shares[0, 0] == pytest.approx(5 / 6)


@pytest.mark.parametrize("normalize, first", [(False, "5"), (True, "0.83")])
def test_confusion_heatmap_is_annotated_and_labelled(normalize, first):
    ax = plot_confusion(CONFUSION, NAMES, normalize=normalize, title="t")
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == 9 and texts[0] == first
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    assert [t.get_text() for t in ax.get_xticklabels()] == NAMES
    assert ax.get_title() == "t"


def test_confusion_shape_must_match_the_names():
    with pytest.raises(InvalidInputError, match="3x3"):
        plot_confusion(np.eye(2, dtype=int), NAMES)


def test_histories_draw_one_curve_per_run_and_mark_the_best():
    histories = {
        "a": pd.DataFrame({"val_accuracy": [0.2, 0.5, 0.4]}),
        "b": pd.DataFrame({"val_accuracy": [0.1, 0.3]}),
    }
    ax = plot_histories(histories)
    curves = [line for line in ax.lines if line.get_label() in histories]
    assert len(curves) == 2
    best_markers = [line for line in ax.lines if line.get_marker() == "o"]
    assert [tuple(m.get_xydata()[0]) for m in best_markers] == [(2, 0.5), (2, 0.3)]
    assert ax.get_xlabel() == "epoch"
    with pytest.raises(InvalidInputError, match="no column"):
        plot_histories(histories, "loss")
    ax = plot_histories(histories, best="min")
    best_markers = [line for line in ax.lines if line.get_marker() == "o"]
    assert [tuple(m.get_xydata()[0]) for m in best_markers] == [(1, 0.2), (1, 0.1)]
    with pytest.raises(InvalidInputError, match="best"):
        plot_histories(histories, best="last")


def test_learning_curve_uses_a_log_size_axis():
    ax = plot_learning_curve(
        [100, 1000], [0.9, 0.6], [0.3, 0.5], val_interval=([0.2, 0.45], [0.4, 0.55]), baseline=0.25
    )
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "training images"
    other = plot_learning_curve([1, 2], [1, 1], [0, 0], xlabel="parameters", train_label="fit")
    assert other.get_xlabel() == "parameters"
    assert [t.get_text() for t in other.get_legend().get_texts()] == ["fit", "validation"]
    assert len(ax.collections) == 1  # the interval band
    with pytest.raises(InvalidInputError, match="equal lengths"):
        plot_learning_curve([1, 2], [0.5], [0.5, 0.6])


def test_train_val_plot_has_a_row_per_variant():
    table = pd.DataFrame(
        {
            "train_accuracy": [1.0, 0.5],
            "val_accuracy": [0.4, 0.45],
            "val_ci_low": [0.38, 0.43],
            "val_ci_high": [0.42, 0.47],
        },
        index=["big", "small"],
    )
    ax = plot_train_val(table)
    ticks = dict(zip(ax.get_yticks(), [t.get_text() for t in ax.get_yticklabels()], strict=True))
    assert ticks == {1: "big", 0: "small"}  # the first variant on top
    assert ax.get_xlabel() == "accuracy"
    with pytest.raises(InvalidInputError, match="lacks"):
        plot_train_val(table.drop(columns="val_accuracy"))
