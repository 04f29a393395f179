"""Chapter 12's scaffolding: two label sets for one set of predictions, another model on the same
detected faces, label counts, the recorded reliability bins, and intervals for recall by group."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from emostudy.book import (
    bin_at,
    classify_detected,
    ferplus_majority,
    label_counts,
    paired_by_label_set,
    recall_intervals,
    recorded_reliability,
    scores_by_label_set,
    speed_comparison,
    to_label_space,
)
from emostudy.data import FER_CLASSES, FERPLUS_CLASSES, load_fer2013
from emostudy.detectors.base import Face
from emostudy.errors import DataNotFoundError, InvalidInputError
from emostudy.evaluation import reliability_bins
from tests.test_data_ferplus import VOTES, write_votes


def test_ferplus_majority_keeps_the_order_and_marks_unscored_faces(fake_fer_root, tmp_path):
    faces = load_fer2013(fake_fer_root, progress=False)
    votes = write_votes(tmp_path / "ferplus_votes.csv")
    names = [name for _, name in VOTES]
    seven = ferplus_majority(faces, path=votes)
    eight = ferplus_majority(faces, n_classes=8, path=votes)
    assert seven.shape == eight.shape == (len(faces),)
    for i, name in enumerate(names):
        in8 = FERPLUS_CLASSES.index(name) if name in FERPLUS_CLASSES else -1
        assert eight[i] == in8, name
        assert seven[i] == (in8 if name in FER_CLASSES else -1), name
    assert (seven == -1).sum() == 4  # contempt, unknown, no votes, not a face
    with pytest.raises(InvalidInputError, match="7 or 8"):
        ferplus_majority(faces, n_classes=6, path=votes)


def test_to_label_space_maps_by_name_and_keeps_misses():
    model = ["happy", "sad", "contempt"]
    labels = ["sad", "happy"]
    out = to_label_space(np.array([0, 1, 2, -1]), model, labels)
    assert out.tolist() == [1, 0, -1, -1]
    with pytest.raises(InvalidInputError, match="indices"):
        to_label_space(np.array([3]), model, labels)


def test_scores_by_label_set_scores_each_set_on_its_own_faces():
    model = list(FERPLUS_CLASSES)
    predicted = np.array([0, 7, 3, -1, 3])  # angry, contempt, happy, missed, happy
    found = predicted >= 0
    fer = np.array([0, 6, 3, 3, 4])  # one contempt answer is wrong against FER-2013's labels
    majority = np.array([0, -1, 3, 3, 3])  # face 1 not scored (e.g. contempt majority, 7 classes)
    scores = scores_by_label_set(
        predicted,
        found,
        {"fer2013": (fer, FER_CLASSES), "majority": (majority, FER_CLASSES)},
        model,
    )
    assert scores["fer2013"]["n"] == 5 and scores["majority"]["n"] == 4
    assert scores["fer2013"]["accuracy_end_to_end"] == pytest.approx(2 / 5)
    assert scores["fer2013"]["accuracy_found"] == pytest.approx(2 / 4)
    assert scores["majority"]["accuracy_end_to_end"] == pytest.approx(3 / 4)
    assert scores["majority"]["found"] == pytest.approx(3 / 4)


class _Recorder:
    """A stand-in recognizer: remembers the crops it was given."""

    def __init__(self, crop):
        self.crop = crop
        self.seen = None

    def classify(self, crops):
        self.seen = crops
        return np.full((len(crops), 8), 1 / 8)


def test_classify_detected_crops_the_given_faces_with_the_recognizers_crop():
    from emostudy.faces import CropSpec

    image = np.zeros((120, 160, 3), np.uint8)
    image[20:80, 30:90] = 200
    faces = [Face(box=(30.0, 20.0, 60.0, 60.0), score=0.9), Face(box=(0, 0, 40, 40), score=0.8)]
    recognizer = _Recorder(CropSpec(margin=0.0, square=True, align=False))
    probabilities = classify_detected(recognizer, image, faces)
    assert probabilities.shape == (2, 8)
    assert recognizer.seen.shape == (2, 48, 48) and recognizer.seen.dtype == np.uint8
    assert recognizer.seen[0].mean() > 150  # the bright square fills the first crop
    assert classify_detected(recognizer, image, []).shape == (0, 8)


def test_label_counts_follow_the_class_order_and_fill_zeros():
    table = label_counts(
        {"before": ["sad", "sad", "happy"], "after": ["neutral", "contempt", "happy"]},
        FER_CLASSES,
    )
    assert list(table.columns) == ["before", "after"]
    assert list(table.index) == [*FER_CLASSES, "contempt"]
    assert table.loc["sad", "before"] == 2 and table.loc["sad", "after"] == 0
    assert table.loc["contempt", "after"] == 1
    assert table.sum().tolist() == [3, 3] and table.dtypes.eq(int).all()


def test_recorded_reliability_reads_the_rows_and_names_the_fix_when_absent():
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(4), size=200)
    y = rng.integers(0, 4, size=200)
    bins = reliability_bins(p, y)
    rows = bins.to_dict(orient="records")
    table = recorded_reliability({"results": {"reliability": rows}})
    pd.testing.assert_frame_equal(table, bins, check_dtype=False)
    assert len(recorded_reliability({"reliability": {"bins": rows}})) == len(bins)
    with pytest.raises(DataNotFoundError, match="reliability"):
        recorded_reliability({"results": {}})
    with pytest.raises(InvalidInputError, match="gap"):
        recorded_reliability({"reliability": [{k: 0 for k in ("lower", "upper", "count")}]})


def test_bin_at_finds_the_bin_holding_a_confidence():
    bins = reliability_bins(np.array([[0.8, 0.2], [0.9, 0.1], [0.55, 0.45]]), np.array([0, 1, 0]))
    row = bin_at(bins, 0.8)
    assert row["lower"] < 0.8 <= row["upper"]
    assert row["count"] == 1 and row["accuracy"] == 1.0
    assert bin_at(bins, 0.0)["lower"] == 0.0
    with pytest.raises(InvalidInputError):
        bin_at(bins, 1.5)


def test_recall_intervals_resolve_large_gaps_on_many_faces_only():
    recall = {"big a": 900 / 1000, "big b": 700 / 1000, "small": 9 / 10}
    counts = {"big a": 1000, "big b": 1000, "small": 10}
    groups, gaps = recall_intervals(recall, counts, n_boot=4000, seed=1)
    assert groups.loc["big a", "found"] == 900 and groups.loc["small", "faces"] == 10
    assert (groups["low"] <= groups["recall"]).all() and (groups["recall"] <= groups["high"]).all()
    assert groups.loc["small", "high"] - groups.loc["small", "low"] > 0.3  # ten faces: wide
    pairs = gaps.set_index(["a", "b"])
    assert pairs.loc[("big a", "big b"), "resolved"]  # 20 points on 1,000 faces each
    assert pairs.loc[("big a", "big b"), "gap"] == pytest.approx(0.2)
    assert not pairs.loc[("big a", "small"), "resolved"]  # same recall
    assert not pairs.loc[("big b", "small"), "resolved"]  # 20 points, but on ten faces
    again = recall_intervals(recall, counts, n_boot=4000, seed=1)[1]
    pd.testing.assert_frame_equal(gaps, again)
    with pytest.raises(InvalidInputError, match="whole number"):
        recall_intervals({"a": 0.5, "b": 0.3}, {"a": 3, "b": 10})
    with pytest.raises(InvalidInputError, match="same groups"):
        recall_intervals({"a": 0.5}, {"a": 2})


def test_paired_by_label_set_counts_discordant_faces_per_label_set():
    labels = np.array([0, 1, 2, 3, 3])
    majority = np.array([0, 1, -1, 3, 2])
    sets = {"fer2013": (labels, FER_CLASSES), "majority": (majority, FER_CLASSES)}
    a = (np.array([0, 1, 2, -1, 3]), np.array([True, True, True, False, True]), FER_CLASSES)
    b = (np.array([0, 7, 2, 3, 2]), np.ones(5, bool), FERPLUS_CLASSES)  # 7: contempt, wrong
    table = paired_by_label_set(a, b, sets)
    assert table.loc["fer2013", "faces"] == 5 and table.loc["majority", "faces"] == 4
    # fer2013: a right on 0,1,2,4; b right on 0,2,3 -> only a: 1 and 4; only b: 3
    assert (table.loc["fer2013", "only a right"], table.loc["fer2013", "only b right"]) == (2, 1)
    # majority (faces 0,1,3,4): a right on 0,1; b right on 0,3,4 -> only a: 1; only b: 3, 4
    assert (table.loc["majority", "only a right"], table.loc["majority", "only b right"]) == (1, 2)
    assert 0 < table.loc["majority", "p_value"] <= 1 and table.loc["majority", "method"] == "exact"


@pytest.mark.parametrize(
    ("ours", "theirs", "words"),
    [
        (17.1, 30.3, "runs 1.8 times as fast as"),
        (34.3, 30.3, "takes 1.1 times as long as"),
        (30.0, 30.3, "takes about as long as"),
        (10.0, 100.0, "runs 10.0 times as fast as"),
    ],
)
def test_speed_comparison_reads_right_whichever_pipeline_is_faster(ours, theirs, words):
    assert speed_comparison(ours, theirs) == words


@pytest.mark.parametrize("times", [(0.0, 30.0), (30.0, -1.0), (float("nan"), 30.0)])
def test_speed_comparison_refuses_times_that_are_not_positive(times):
    with pytest.raises(InvalidInputError, match="positive milliseconds"):
        speed_comparison(*times)
