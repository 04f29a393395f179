"""The reliability diagram: drawn from recorded bins only, empty bins skipped, clear errors."""

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from emostudy.errors import InvalidInputError  # noqa: E402
from emostudy.evaluation import reliability_bins  # noqa: E402
from emostudy.plots import plot_reliability  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_reliability_diagram_draws_one_bar_per_non_empty_bin():
    probabilities = np.array([[0.95, 0.05], [0.92, 0.08], [0.6, 0.4], [0.55, 0.45]])
    bins = reliability_bins(probabilities, np.array([0, 0, 1, 0]), n_bins=10)
    ax = plot_reliability(bins, title="test")
    bars = ax.patches
    assert len(bars) == int((bins["count"] > 0).sum()) == 2
    heights = sorted(bar.get_height() for bar in bars)
    assert heights == pytest.approx([0.5, 1.0])
    assert all(bar.get_width() == pytest.approx(0.1) for bar in bars)
    assert ax.get_title() == "test" and ax.get_xlim() == (0, 1)
    assert len(ax.texts) == 2  # the counts
    rows = bins.to_dict(orient="records")  # recorded rows work as well as the DataFrame
    assert len(plot_reliability(rows, counts=False).texts) == 0


def test_reliability_diagram_uses_the_given_axis_and_checks_columns():
    _, ax = plt.subplots()
    bins = reliability_bins(np.array([[0.7, 0.3]]), np.array([0]))
    assert plot_reliability(bins, ax=ax) is ax
    with pytest.raises(InvalidInputError, match="confidence"):
        plot_reliability(bins.drop(columns="confidence"))
