"""The synthetic stand-in and the run profiles that fall back to it."""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from emostudy.data import (
    CKPLUS_CLASSES,
    FER_CLASSES,
    SyntheticDataWarning,
    load_ckplus_for,
    load_fer2013_for,
    make_synthetic_faces,
    subject_folds,
)
from emostudy.errors import DataNotFoundError, InvalidInputError


def test_shapes_dtypes_meta_and_usage_fractions():
    faceset = make_synthetic_faces(n_per_class=20, seed=0)
    assert faceset.name == "synthetic" and faceset.synthetic
    assert faceset.images.shape == (140, 48, 48, 1) and faceset.images.dtype == np.uint8
    assert faceset.labels.dtype == np.int64 and faceset.classes == FER_CLASSES
    assert faceset.class_counts().tolist() == [20] * 7
    table = pd.crosstab(faceset.labels, faceset.meta["usage"])
    assert table["Training"].tolist() == [16] * 7
    assert table["PublicTest"].tolist() == [2] * 7 and table["PrivateTest"].tolist() == [2] * 7
    assert list(faceset.meta["source"][:2]) == ["synthetic:0", "synthetic:1"]
    for column in ("mouth_curvature", "mouth_openness", "brow_angle", "eye_openness"):
        assert column in faceset.meta.columns
    assert faceset.meta["usage"].iloc[0] == "Training"
    assert faceset.meta["usage"].iloc[-1] == "PrivateTest"
    assert faceset.images.std() > 20  # not blank


def test_same_seed_same_faces_other_seed_other_faces():
    a = make_synthetic_faces(n_per_class=10, seed=4)
    b = make_synthetic_faces(n_per_class=10, seed=4)
    c = make_synthetic_faces(n_per_class=10, seed=5)
    np.testing.assert_array_equal(a.images, b.images)
    pd.testing.assert_frame_equal(a.meta, b.meta)
    assert not np.array_equal(a.images, c.images)


def test_expression_templates_drive_the_drawn_parameters():
    meta = make_synthetic_faces(n_per_class=30, seed=0)
    by_class = meta.meta.groupby(meta.labels)[["mouth_curvature", "mouth_openness"]].mean()
    happy, sad, surprise = (FER_CLASSES.index(n) for n in ("happy", "sad", "surprise"))
    assert by_class.loc[happy, "mouth_curvature"] > 0.7 > by_class.loc[sad, "mouth_curvature"]
    assert by_class.loc[surprise, "mouth_openness"] > 0.8


def test_other_class_names_and_bad_arguments():
    faceset = make_synthetic_faces(n_per_class=5, seed=0, classes=("a", "b", "happy"))
    assert faceset.classes == ("a", "b", "happy") and len(faceset) == 15
    with pytest.raises(InvalidInputError, match="usage_fractions"):
        make_synthetic_faces(5, usage_fractions=(0.5, 0.1, 0.1))
    with pytest.raises(InvalidInputError, match="n_per_class"):
        make_synthetic_faces(0)


def test_generation_is_fast():
    start = time.perf_counter()
    make_synthetic_faces(n_per_class=143, seed=0)  # 1,001 images
    assert time.perf_counter() - start < 3.0  # about 0.2 s alone; slack for a busy machine


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_classes_are_learnable_but_not_trivial():
    faceset = make_synthetic_faces(seed=0)
    train, test = faceset.where(usage="Training"), faceset.where(usage="PrivateTest")

    def features(part):
        return part.images.reshape(len(part), -1) / 255.0

    # 100 iterations keep the test to ~2 s; seeds 0-3 give 0.71-0.76 (0.73-0.77 at convergence).
    model = LogisticRegression(max_iter=100, C=0.1).fit(features(train), train.labels)
    accuracy = model.score(features(test), test.labels)
    assert 0.6 < accuracy < 1.0  # chance is 1/7


# --------------------------------------------------------------------------------- profiles


def test_quick_profile_without_data_announces_the_stand_in(missing_data_dir, capsys):
    with pytest.warns(SyntheticDataWarning, match="NOT FER-2013"):
        faceset = load_fer2013_for("quick", seed=2)
    banner = capsys.readouterr().out
    assert "USING THE SYNTHETIC STAND-IN" in banner and "=" * 40 in banner
    assert str(missing_data_dir / "fer2013") in banner and "NOT a FER-2013" in banner
    assert faceset.synthetic and faceset.classes == FER_CLASSES
    np.testing.assert_array_equal(faceset.images, make_synthetic_faces(seed=2).images)


def test_full_profile_without_data_raises_the_data_not_found_error(missing_data_dir):
    with pytest.raises(DataNotFoundError, match="Kaggle"):
        load_fer2013_for("full")
    with pytest.raises(DataNotFoundError, match="CK\\+"):
        load_ckplus_for("full")


def test_unknown_profile():
    with pytest.raises(InvalidInputError, match="full, quick"):
        load_fer2013_for("fast")
    with pytest.raises(InvalidInputError, match="full, quick"):
        load_ckplus_for("fast")


def test_quick_ckplus_stand_in_supports_subject_folds(missing_data_dir, capsys):
    with pytest.warns(SyntheticDataWarning):
        faceset = load_ckplus_for("quick")
    assert "NOT a CK+" in capsys.readouterr().out
    assert faceset.classes == CKPLUS_CLASSES and set(faceset.meta["usage"]) == {"all"}
    folds = subject_folds(faceset, n_splits=10)
    subjects = faceset.meta["subject"].to_numpy()
    for train, test in folds:
        assert not set(subjects[train]) & set(subjects[test])


def test_quick_profile_subsamples_real_data_per_class_and_usage(fake_fer_root):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        faceset = load_fer2013_for("quick", path=fake_fer_root, quick_per_class=1, seed=0)
    assert not faceset.synthetic
    groups = pd.crosstab(faceset.meta["usage"], faceset.labels)
    assert groups.to_numpy().max() == 1
    assert len(faceset) == 7  # (usage, class) pairs present in the fake folder
    again = load_fer2013_for("quick", path=fake_fer_root, quick_per_class=1, seed=0)
    pd.testing.assert_frame_equal(faceset.meta, again.meta)
    everything = load_fer2013_for("quick", path=fake_fer_root)
    assert len(everything) == 9
