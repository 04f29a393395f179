"""Loading CK+ and subject-independent folds on it."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from emostudy.data import CKPLUS_CLASSES, load_ckplus, subject_folds
from emostudy.errors import DataLayoutError, DataNotFoundError
from tests.data_fixtures import fake_face, write_fake_ckplus


def test_fake_ckplus_loads_with_subject_meta(tmp_path):
    write_fake_ckplus(tmp_path)
    faceset = load_ckplus(tmp_path, progress=False)
    assert faceset.name == "CK+" and faceset.classes == CKPLUS_CLASSES
    assert faceset.images.shape == (5, 48, 48, 1) and faceset.images.dtype == np.uint8
    assert [CKPLUS_CLASSES[i] for i in faceset.labels] == [
        "anger",
        "anger",
        "happiness",
        "happiness",
        "surprise",
    ]
    meta = faceset.meta
    assert set(meta["usage"]) == {"all"}
    assert list(meta["subject"]) == ["S010", "S011", "S010", "S012", "S011"]
    assert list(meta["sequence"]) == [4, 4, 6, 1, 1]
    assert list(meta["frame"]) == [18, 21, 15, 9, 14]
    assert meta["sequence"].dtype == np.int64 and meta["frame"].dtype == np.int64
    assert meta["source"][0].endswith("anger/S010_004_00000018.png")
    np.testing.assert_array_equal(faceset.images[0, :, :, 0], fake_face(100))


def test_unknown_class_folder(tmp_path):
    write_fake_ckplus(tmp_path)
    (tmp_path / "neutral").mkdir()
    with pytest.raises(DataLayoutError) as info:
        load_ckplus(tmp_path, progress=False)
    assert "neutral" in str(info.value) and "contempt" in str(info.value)


def test_bad_file_name_names_file_and_pattern(tmp_path):
    write_fake_ckplus(tmp_path)
    bad = tmp_path / "anger" / "subject10.png"
    cv2.imwrite(str(bad), fake_face(0))
    with pytest.raises(DataLayoutError) as info:
        load_ckplus(tmp_path, progress=False)
    assert str(bad) in str(info.value) and "S<subject>_<sequence>_<frame>.png" in str(info.value)


def test_missing_folder(tmp_path, missing_data_dir):
    with pytest.raises(DataNotFoundError, match="nowhere"):
        load_ckplus(tmp_path / "nowhere", progress=False)
    with pytest.raises(DataNotFoundError) as info:
        load_ckplus(progress=False)
    assert str(missing_data_dir / "ckplus") in str(info.value) and "CK+" in str(info.value)


@pytest.mark.needs_data
def test_real_ckplus_counts_and_subject_folds(ckplus_real):
    assert len(ckplus_real) == 327
    assert ckplus_real.meta["subject"].nunique() == 118
    assert ckplus_real.class_counts().to_dict() == {
        "anger": 45,
        "contempt": 18,
        "disgust": 59,
        "fear": 25,
        "happiness": 69,
        "sadness": 28,
        "surprise": 83,
    }
    folds = subject_folds(ckplus_real, n_splits=10, seed=0)
    assert len(folds) == 10
    subjects = ckplus_real.meta["subject"].to_numpy()
    seen = np.concatenate([test for _, test in folds])
    assert np.array_equal(np.sort(seen), np.arange(327))  # every image evaluated exactly once
    for train, test in folds:
        assert not set(subjects[train]) & set(subjects[test])
        assert len(train) + len(test) == 327


@pytest.mark.needs_data
def test_quick_profile_subsamples_ckplus_per_class(ckplus_dir):
    from emostudy.data import load_ckplus_for

    faces = load_ckplus_for("quick", quick_per_class=5, seed=0)
    assert faces.class_counts().max() == 5 and faces.name == "CK+"


def test_subject_ids_are_normalised_so_one_person_is_one_subject(tmp_path):
    root = tmp_path / "ckplus"
    (root / "anger").mkdir(parents=True)
    (root / "happiness").mkdir()
    assert cv2.imwrite(str(root / "anger" / "S010_004_00000018.png"), fake_face(1))
    assert cv2.imwrite(str(root / "happiness" / "s10_6_15.png"), fake_face(2))
    assert cv2.imwrite(str(root / "happiness" / "S11_1_9.png"), fake_face(3))
    faceset = load_ckplus(root, progress=False)
    assert sorted(faceset.meta["subject"]) == ["S010", "S010", "S011"]


def test_an_empty_ckplus_folder_or_class_folder_names_the_folder(tmp_path):
    root = tmp_path / "ckplus"
    root.mkdir()
    with pytest.raises(DataLayoutError, match=rf"No CK\+ images found in {root}"):
        load_ckplus(root, progress=False)
    (root / "fear").mkdir()
    with pytest.raises(DataLayoutError, match=r"class folder .*fear is empty"):
        load_ckplus(root, progress=False)
