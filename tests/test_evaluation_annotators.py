"""Agreement between labellers: majority and its tie rule, the agreement matrix, vote entropy, the
typical annotator (with and without leave-one-out) and the disputed faces, on hand-made votes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import entropy as scipy_entropy
from sklearn.metrics import confusion_matrix

from emostudy.data import FER_CLASSES, FERPLUS_CLASSES, VOTE_COLUMNS
from emostudy.data.ferplus import FERPLUS_NAMES, FERPLUS_ORDER
from emostudy.errors import InvalidInputError
from emostudy.evaluation import (
    FERPLUS_TIE_PRIORITY,
    NO_MAJORITY,
    annotator_agreement,
    disputed_faces,
    entropy_by_class,
    label_agreement,
    leave_one_out_agreement,
    majority_vote,
    typical_annotator,
    vote_entropy,
)

ANGRY, DISGUST, FEAR, HAPPY, SAD, SURPRISE, NEUTRAL, CONTEMPT, UNKNOWN, NOT_FACE = range(10)


def votes(**given: int) -> list[int]:
    """One row of the 10 FER+ vote columns, e.g. ``votes(angry=7, sad=3)``."""
    row = [0] * len(VOTE_COLUMNS)
    for name, count in given.items():
        row[VOTE_COLUMNS.index(name)] = count
    return row


def test_the_tie_priority_is_ferplus_column_order():
    names = [FERPLUS_NAMES[VOTE_COLUMNS[i]] for i in FERPLUS_TIE_PRIORITY]
    assert names == list(FERPLUS_ORDER)


@pytest.mark.parametrize(
    "row, expected",
    [
        (votes(angry=7, neutral=3), ANGRY),
        (votes(angry=5, neutral=5), NEUTRAL),  # neutral first in FER+ order
        (votes(happy=4, surprise=4, unknown=2), HAPPY),  # happiness before surprise
        (votes(sad=5, not_face=5), SAD),  # an emotion beats NF
        (votes(fear=3, unknown=3, not_face=3, surprise=1), FEAR),
        (votes(contempt=6, neutral=4), CONTEMPT),
        (votes(not_face=10), NOT_FACE),
        (votes(), NO_MAJORITY),
    ],
)
def test_majority_follows_ferplus_tie_rule(row, expected):
    assert majority_vote([row]).tolist() == [expected]


def test_majority_with_a_custom_priority_and_random_rows_against_brute_force():
    assert majority_vote([[2, 2, 1]], priority=[1, 0, 2]).tolist() == [1]
    assert majority_vote([[2, 2, 1]], priority=[0, 1, 2]).tolist() == [0]
    rng = np.random.default_rng(0)
    counts = rng.integers(0, 4, size=(500, 10))
    rank = {column: position for position, column in enumerate(FERPLUS_TIE_PRIORITY)}
    expected = [
        min(np.flatnonzero(row == row.max()), key=rank.__getitem__) if row.sum() else -1
        for row in counts
    ]
    np.testing.assert_array_equal(majority_vote(counts), expected)


def test_majority_rejects_bad_tables_and_priorities():
    with pytest.raises(InvalidInputError, match="2-D"):
        majority_vote([1, 2, 3])
    with pytest.raises(InvalidInputError, match="negative"):
        majority_vote([[1, -1, 0]], priority=[0, 1, 2])
    with pytest.raises(InvalidInputError, match="whole numbers"):
        majority_vote([[0.5, 1.0, 0.0]], priority=[0, 1, 2])
    with pytest.raises(InvalidInputError, match="priority="):
        majority_vote([[1, 2, 3]])
    with pytest.raises(InvalidInputError, match="once each"):
        majority_vote([[1, 2, 3]], priority=[0, 0, 1])


def test_agreement_matrix_counts_label_majority_pairs_and_skips_missing_majorities():
    labels = [ANGRY, ANGRY, DISGUST, NEUTRAL, HAPPY]
    majority = [ANGRY, NEUTRAL, UNKNOWN, NEUTRAL, NO_MAJORITY]
    matrix = label_agreement(labels, majority, row_classes=FER_CLASSES)
    assert matrix.shape == (7, 10)
    assert list(matrix.index) == list(FER_CLASSES) and list(matrix.columns) == list(VOTE_COLUMNS)
    assert matrix.index.name == "single label" and matrix.columns.name == "majority"
    assert matrix.to_numpy().sum() == 4
    assert matrix.loc["angry", "angry"] == 1 and matrix.loc["angry", "neutral"] == 1
    assert matrix.loc["disgust", "unknown"] == 1 and matrix.loc["neutral", "neutral"] == 1
    assert matrix.loc["happy"].sum() == 0  # its image has no majority


def test_agreement_matrix_equals_sklearn_on_random_labels():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 7, size=300)
    majority = rng.integers(0, 10, size=300)
    matrix = label_agreement(labels, majority, row_classes=FER_CLASSES)
    expected = confusion_matrix(labels, majority, labels=range(10))[:7]
    np.testing.assert_array_equal(matrix.to_numpy(), expected)
    agree = np.trace(matrix.to_numpy()) / matrix.to_numpy().sum()
    assert agree == pytest.approx(np.mean(labels == majority))


def test_agreement_matrix_checks_its_classes_and_labels():
    with pytest.raises(InvalidInputError, match="must agree"):
        label_agreement([0], [0], row_classes=["a", "b"], column_classes=["b", "a", "c"])
    with pytest.raises(InvalidInputError, match="column indices"):
        label_agreement([0], [10], row_classes=FER_CLASSES)
    with pytest.raises(InvalidInputError, match="2 integer labels"):
        label_agreement([0, 1], [0], row_classes=FER_CLASSES)


def test_vote_entropy_in_bits_with_known_values_and_scipy():
    counts = [
        votes(happy=10),
        votes(angry=5, sad=5),
        votes(angry=2, sad=2, fear=2, neutral=2, happy=1, surprise=1),
        votes(),
    ]
    got = vote_entropy(counts)
    assert got[0] == 0 and got[1] == pytest.approx(1.0)
    assert np.isnan(got[3])
    shares = np.array([0.2, 0.2, 0.2, 0.2, 0.1, 0.1])
    assert got[2] == pytest.approx(-(shares * np.log2(shares)).sum())
    assert vote_entropy(counts, base=np.e)[1] == pytest.approx(np.log(2))
    rng = np.random.default_rng(2)
    random = rng.integers(0, 5, size=(50, 10))
    random[0] = 0
    expected = scipy_entropy(random[1:], base=2, axis=1)
    np.testing.assert_allclose(vote_entropy(random)[1:], expected)


def test_entropy_by_class_groups_and_keeps_empty_classes():
    table = entropy_by_class([0.0, 1.0, 2.0, np.nan, 0.0], [0, 0, 1, 1, 2], classes=["a", "b", "c"])
    assert list(table.index) == ["a", "b", "c"]
    assert table["images"].tolist() == [2, 1, 1]
    assert table.loc["a", "mean entropy"] == pytest.approx(0.5)
    assert table.loc["a", "share unanimous"] == pytest.approx(0.5)
    assert table.loc["b", "median entropy"] == pytest.approx(2.0)
    empty = entropy_by_class([0.0], [0], classes=["a", "b"])
    assert empty.loc["b", "images"] == 0 and np.isnan(empty.loc["b", "mean entropy"])
    with pytest.raises(InvalidInputError, match="one length"):
        entropy_by_class([0.0, 1.0], [0], classes=["a"])


#: Hand-made votes and what one random annotator agrees with, worked out by hand.
TABLE = np.array(
    [
        votes(angry=7, sad=3),  # label angry: 0.7; leave-one-out: angry voters agree → 0.7
        votes(angry=5, neutral=5),  # label angry: 0.5; leave-one-out: nobody agrees → 0.0
        votes(neutral=6, angry=4),  # label sad: 0.0; leave-one-out: neutral voters → 0.6
        votes(happy=10),  # label happy: 1.0; leave-one-out: 1.0
    ]
)
LABELS = np.array([ANGRY, ANGRY, SAD, HAPPY])


def test_annotator_agreement_with_a_reference_label():
    np.testing.assert_allclose(annotator_agreement(TABLE, LABELS), [0.7, 0.5, 0.0, 1.0])
    with_nan = annotator_agreement([votes(), votes(sad=2)], [ANGRY, NO_MAJORITY])
    assert np.isnan(with_nan).all()


def test_leave_one_out_never_counts_the_annotator_in_its_own_majority():
    np.testing.assert_allclose(leave_one_out_agreement(TABLE), [0.7, 0.0, 0.6, 1.0])
    # counting the annotator in the majority flatters the 5/5 tie: 0.5 instead of 0
    including = annotator_agreement(TABLE, majority_vote(TABLE))
    np.testing.assert_allclose(including, [0.7, 0.5, 0.6, 1.0])
    assert np.isnan(leave_one_out_agreement([votes(sad=1)])).all()
    assert leave_one_out_agreement([[3, 1, 1]], priority=[0, 1, 2]).tolist() == [0.6]


def test_typical_annotator_per_class_and_overall():
    table = typical_annotator(TABLE, LABELS, classes=FERPLUS_CLASSES)
    assert list(table.index) == [*FERPLUS_CLASSES, "all"]
    assert table.loc["angry", "single label"] == pytest.approx(0.6)  # images 0 and 1
    assert table.loc["angry", "images (single label)"] == 2
    assert table.loc["sad", "single label"] == pytest.approx(0.0)
    # by the ten-vote majority: image 0 angry, images 1 and 2 neutral, image 3 happy
    assert table.loc["angry", "others' majority"] == pytest.approx(0.7)
    assert table.loc["neutral", "others' majority"] == pytest.approx(0.3)
    assert table.loc["neutral", "images (majority)"] == 2
    assert np.isnan(table.loc["contempt", "single label"])
    assert table.loc["all", "single label"] == pytest.approx(np.mean([0.7, 0.5, 0.0, 1.0]))
    assert table.loc["all", "others' majority"] == pytest.approx(np.mean([0.7, 0.0, 0.6, 1.0]))
    assert isinstance(table, pd.DataFrame)


def test_disputed_faces_rank_by_entropy_or_majority_share_and_spread_over_labels():
    counts = np.array(
        [
            votes(neutral=9, angry=1),  # 0: label angry, clear majority neutral
            votes(angry=10),  # 1: label angry, agreed: never disputed
            votes(neutral=4, sad=3, angry=3),  # 2: label angry, split
            votes(happy=6, surprise=4),  # 3: label surprise, majority happy
            votes(neutral=4, sad=3, fear=3),  # 4: label sad, split like 2
            votes(neutral=4, sad=3, angry=3),  # 5: label angry, ties image 2
        ]
    )
    labels = np.array([ANGRY, ANGRY, ANGRY, SURPRISE, SAD, ANGRY])
    assert disputed_faces(counts, labels, n=10).tolist() == [2, 4, 5, 3, 0]
    assert disputed_faces(counts, labels, n=2).tolist() == [2, 4]
    assert disputed_faces(counts, labels, n=10, rank="majority_share").tolist() == [0, 3, 2, 4, 5]
    # round robin over the labels 0..6: the best angry, sad and surprise faces, then the rest
    assert disputed_faces(counts, labels, n=10, classes=7).tolist() == [2, 4, 3, 5, 0]
    assert disputed_faces(counts, labels, n=4, classes=7).tolist() == [2, 4, 3, 5]
    with pytest.raises(InvalidInputError, match="rank"):
        disputed_faces(counts, labels, rank="loudest")
    with pytest.raises(InvalidInputError, match="'n'"):
        disputed_faces(counts, labels, n=-1)
