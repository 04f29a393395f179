"""Stratified train/validation splits and subject-independent folds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from emostudy.data import FaceSet, make_synthetic_faces, subject_folds, train_validation_split
from emostudy.errors import InvalidInputError


@pytest.fixture(scope="module")
def faces() -> FaceSet:
    return make_synthetic_faces(n_per_class=40, seed=3).where(usage="Training")


def _grouped(n_per_class: int = 20, n_subjects: int = 12) -> FaceSet:
    faceset = make_synthetic_faces(n_per_class, seed=1, usage_fractions=(1.0, 0.0, 0.0))
    subjects = [f"S{i % n_subjects:03d}" for i in range(len(faceset))]
    return FaceSet(
        faceset.images,
        faceset.labels,
        faceset.classes,
        faceset.meta.assign(subject=subjects),
        faceset.name,
        True,
    )


def test_split_is_stratified_disjoint_and_ordered(faces):
    train, validation = train_validation_split(faces, validation_fraction=0.25, seed=0)
    assert len(train) + len(validation) == len(faces)
    assert not set(train.meta["source"]) & set(validation.meta["source"])
    expected = faces.class_counts() * 0.25
    assert (np.abs(validation.class_counts() - expected) <= 1).all()
    # Order of the original set is kept within each part.
    positions = [int(s.split(":")[1]) for s in train.meta["source"]]
    assert positions == sorted(positions)


def test_split_is_deterministic_for_a_seed(faces):
    a, _ = train_validation_split(faces, seed=5)
    b, _ = train_validation_split(faces, seed=5)
    c, _ = train_validation_split(faces, seed=6)
    pd.testing.assert_frame_equal(a.meta, b.meta)
    assert list(a.meta["source"]) != list(c.meta["source"])


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1])
def test_split_rejects_bad_fraction(faces, fraction):
    with pytest.raises(InvalidInputError, match="validation_fraction"):
        train_validation_split(faces, validation_fraction=fraction)


def test_subject_folds_are_disjoint_by_subject_and_cover_everything():
    faceset = _grouped()
    folds = subject_folds(faceset, n_splits=4, seed=0)
    subjects = faceset.meta["subject"].to_numpy()
    assert len(folds) == 4
    tested = np.concatenate([test for _, test in folds])
    assert np.array_equal(np.sort(tested), np.arange(len(faceset)))
    for train, test in folds:
        assert train.dtype == np.int64
        assert not set(subjects[train]) & set(subjects[test])
    again = subject_folds(faceset, n_splits=4, seed=0)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(folds, again, strict=True))


def test_subject_folds_errors(faces):
    with pytest.raises(InvalidInputError, match="no 'subject' column"):
        subject_folds(faces)
    with pytest.raises(InvalidInputError, match="12 distinct 'subject'"):
        subject_folds(_grouped(), n_splits=13)


def test_sample_per_class_caps_each_class_and_usage():
    import numpy as np

    from emostudy.data import make_synthetic_faces, sample_per_class

    faces = make_synthetic_faces(30, seed=0)  # 24 / 3 / 3 per class and usage
    sample = sample_per_class(faces, 5, seed=1)
    counts = sample.meta.assign(label=sample.labels).groupby(["usage", "label"]).size()
    assert counts.loc["Training"].eq(5).all() and counts.loc["PublicTest"].eq(3).all()
    again = sample_per_class(faces, 5, seed=1)
    np.testing.assert_array_equal(sample.images, again.images)
    assert not np.array_equal(sample_per_class(faces, 5, seed=2).images, sample.images)


def _tiny(labels):
    n = len(labels)
    meta = pd.DataFrame(
        {"usage": ["all"] * n, "source": ["s"] * n, "subject": [f"S{i:03d}" for i in range(n)]}
    )
    return FaceSet(
        np.zeros((n, 48, 48, 1), np.uint8), np.array(labels, np.int64), ("a", "b"), meta, "tiny"
    )


def test_subject_folds_with_more_folds_than_any_class_gets_our_message():
    with pytest.raises(InvalidInputError, match=r"n_splits=5 is more than .* Use n_splits <= 3"):
        subject_folds(_tiny([0, 0, 0, 1, 1, 1]), n_splits=5)
    with pytest.raises(InvalidInputError, match="n_splits must be an integer"):
        subject_folds(_tiny([0, 0, 0, 1, 1, 1]), n_splits=2.0)


def test_sample_per_class_needs_a_whole_number():
    from emostudy.data import sample_per_class

    with pytest.raises(InvalidInputError, match=r"n_per_class must be an integer, got 2.5"):
        sample_per_class(_tiny([0, 1, 1]), 2.5)
    with pytest.raises(InvalidInputError, match="Expected a FaceSet"):
        sample_per_class(np.zeros((3, 48, 48, 1), np.uint8), 2)
