"""Figures of the label-noise study: the agreement heatmap, entropy bars, the votes gallery."""

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from emostudy.data import FER_CLASSES, VOTE_COLUMNS  # noqa: E402
from emostudy.errors import InvalidInputError  # noqa: E402
from emostudy.evaluation import entropy_by_class, label_agreement  # noqa: E402
from emostudy.plots import (  # noqa: E402
    plot_entropy_by_class,
    plot_label_agreement,
    show_votes_gallery,
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _matrix():
    return label_agreement([0, 0, 1, 6], [0, 6, 8, 6], row_classes=FER_CLASSES)


@pytest.mark.parametrize("normalize, first, third", [(True, "50%", "0%"), (False, "1", "0")])
def test_agreement_heatmap_is_rectangular_and_annotated(normalize, first, third):
    ax = plot_label_agreement(_matrix(), normalize=normalize, title="t")
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == 7 * 10 and texts[0] == first and texts[2] == third
    assert [t.get_text() for t in ax.get_xticklabels()][-1] == "not face"
    assert ax.get_xlabel() == "majority" and ax.get_ylabel() == "single label"
    assert ax.get_title() == "t"
    with pytest.raises(InvalidInputError):
        plot_label_agreement(pd.DataFrame())


def test_entropy_bars_show_one_bar_per_class_and_table():
    by_majority = entropy_by_class([0.0, 1.0, 1.5], [0, 1, 2], classes=["a", "b", "c"])
    by_label = entropy_by_class([0.5, 0.5], [0, 1], classes=["a", "b"])
    ax = plot_entropy_by_class({"by majority": by_majority, "by label": by_label})
    widths = sorted(round(float(np.nan_to_num(p.get_width())), 3) for p in ax.patches)
    assert widths == [0.0, 0.0, 0.5, 0.5, 1.0, 1.5]  # class "c" has no bar "by label"
    assert "bits" in ax.get_xlabel()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["by majority", "by label"]
    with pytest.raises(InvalidInputError):
        plot_entropy_by_class({"x": pd.DataFrame({"other": [1]})})


def test_votes_gallery_draws_a_face_and_its_given_votes_within_a_page():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, size=(8, 48, 48, 1), dtype=np.uint8)
    counts = np.zeros((8, len(VOTE_COLUMNS)), dtype=int)
    counts[:, 6] = 6
    counts[:, 0] = 3
    counts[:, 8] = 1
    labels = np.zeros(8, dtype=int)
    fig = show_votes_gallery(images, counts, labels, answers=VOTE_COLUMNS, ncols=4, size=1.6)
    width, height = fig.get_size_inches()
    assert width == pytest.approx(6.4) and height <= 8
    faces, bars = fig.axes[0::2], fig.axes[1::2]
    assert len(faces) == len(bars) == 8
    assert faces[0].get_title() == "FER-2013: angry"
    face_inches = faces[0].get_position().width * width
    assert face_inches == pytest.approx(0.8 * 1.6)  # the faces keep their size on the page
    assert [t.get_text() for t in bars[0].get_yticklabels()] == ["neutral", "angry", "unknown"]
    heights = [p.get_width() for p in bars[0].patches]
    assert heights == [6, 3, 1]
    colours = [p.get_facecolor() for p in bars[0].patches]
    assert colours[1] != colours[0]  # the single label's bar stands out
    with pytest.raises(InvalidInputError):
        show_votes_gallery(images, counts[:3], labels, answers=VOTE_COLUMNS)
