"""The data-quality audit: class counts, exact duplicates, label conflicts, leakage, blanks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from emostudy.data import FaceSet, audit
from tests.data_fixtures import fake_face


def _faceset() -> FaceSet:
    a, b, c, d = (fake_face(i) for i in range(4))
    blank = np.full((48, 48), 7, dtype=np.uint8)
    images = np.stack([a, b, a, c, b, a, blank, d])[..., None]
    labels = np.array([0, 1, 0, 2, 1, 2, 0, 1], dtype=np.int64)
    usages = ["Training"] * 5 + ["PublicTest", "PrivateTest", "PrivateTest"]
    meta = pd.DataFrame(
        {
            "usage": usages,
            "source": [f"img{i}" for i in range(8)],
            "file_id": ["x0", "x1", "x2", "x3", "x1", "x5", "x6", "x7"],
        }
    )
    return FaceSet(images, labels, ("angry", "disgust", "fear"), meta, "test")


def test_audit_finds_duplicates_conflicts_leakage_and_blanks():
    report = audit(_faceset())
    assert report.summary() == {
        "n_images": 8,
        "n_duplicate_groups": 2,
        "n_images_in_duplicate_groups": 5,
        "n_conflicting_groups": 1,
        "n_cross_usage_groups": 1,
        "n_blank": 1,
        "n_id_collisions": 2,
    }
    duplicates = report.duplicate_groups
    assert list(duplicates.columns) == ["group", "index", "usage", "label", "source"]
    assert list(duplicates["group"]) == [0, 0, 0, 1, 1]
    assert list(duplicates["index"]) == [0, 2, 5, 1, 4]
    # Image a: angry, angry, fear across Training and PublicTest.
    assert list(report.conflicting_groups["index"]) == [0, 2, 5]
    assert list(report.cross_usage_groups["label"]) == ["angry", "angry", "fear"]
    assert list(report.blank["index"]) == [6] and report.blank["std"][0] == 0
    assert list(report.id_collisions["source"]) == ["img1", "img4"]


def test_audit_class_counts_table():
    table = audit(_faceset()).class_counts
    assert list(table.index) == ["angry", "disgust", "fear"]
    assert list(table.columns) == ["Training", "PublicTest", "PrivateTest", "total"]
    assert table.loc["angry"].tolist() == [2, 0, 1, 3]
    assert table["total"].sum() == 8


def test_audit_of_clean_set_is_empty():
    faceset = _faceset().subset(np.array([0, 1, 3, 7]))
    summary = audit(faceset).summary()
    assert summary["n_duplicate_groups"] == 0 and summary["n_blank"] == 0
    assert summary["n_id_collisions"] == 0


@pytest.mark.needs_data
def test_real_fer2013_audit(fer2013_real):
    report = audit(fer2013_real)
    summary = report.summary()
    # The README: the same image appears "under two labels at least twice"; some are blank.
    assert summary == {
        "n_images": 35884,
        "n_duplicate_groups": 1516,
        "n_images_in_duplicate_groups": 3368,
        "n_conflicting_groups": 57,
        "n_cross_usage_groups": 557,  # leakage: Training images repeated in the test sets
        "n_blank": 12,
        "n_id_collisions": 4,
    }
    # disgust is about 12x rarer than happy.
    counts = report.class_counts["total"]
    assert 12 <= counts["happy"] / counts["disgust"] <= 17


@pytest.mark.needs_data
def test_readme_named_images_share_a_file_name_under_two_labels(fer2013_real):
    """The README names Training_8475486 and Training_52789098 as one image under two labels.

    In this copy each name is two files in two class folders, but the two files hold DIFFERENT
    faces: they are file-name collisions, not pixel duplicates. The audit reports them in
    ``id_collisions``; the real same-image-two-labels cases are ``conflicting_groups``.
    """
    report = audit(fer2013_real)
    collisions = report.id_collisions
    for file_id, labels in {
        "Training_8475486": {"angry", "surprise"},
        "Training_52789098": {"neutral", "surprise"},
    }.items():
        rows = collisions[collisions["file_id"] == file_id]
        assert set(rows["label"]) == labels
        first, second = rows["index"]
        assert not np.array_equal(fer2013_real.images[first], fer2013_real.images[second])
        assert not set(rows["index"]) & set(report.duplicate_groups["index"])


def _faceset_from(pixels_labels_usages):
    import numpy as np
    import pandas as pd

    from emostudy.data import FER_CLASSES, FaceSet

    # the same seed gives the same (textured, not blank) image
    images = np.stack(
        [
            np.random.default_rng(seed).integers(0, 256, (48, 48, 1), dtype=np.uint8)
            for seed, _, _ in pixels_labels_usages
        ]
    )
    labels = np.array([label for _, label, _ in pixels_labels_usages], np.int64)
    meta = pd.DataFrame(
        {
            "usage": [u for _, _, u in pixels_labels_usages],
            "source": [f"x{i}" for i in range(len(labels))],
        }
    )
    return FaceSet(images, labels, FER_CLASSES, meta, "test")


def test_training_exclusions_follow_the_policy():
    import numpy as np

    from emostudy.data import audit, training_exclusions

    # index: image seed (same seed = same image), label, usage
    faces = _faceset_from(
        [
            (10, 0, "Training"),  # 0: conflicting with 1
            (10, 3, "Training"),  # 1: conflicting with 0
            (20, 3, "Training"),  # 2: copy of a test image (4)
            (30, 5, "Training"),  # 3: first of a repeat pair, kept
            (20, 3, "PublicTest"),  # 4: test image, never excluded
            (30, 5, "Training"),  # 5: repeat of 3
            (40, 6, "Training"),  # 6: unique, kept
        ]
    )
    images = faces.images.copy()
    images[6] = 128  # fully constant: blank
    faces = type(faces)(images, faces.labels, faces.classes, faces.meta, "test")
    table = training_exclusions(audit(faces))
    assert table["index"].tolist() == [0, 1, 2, 5, 6]
    assert dict(zip(table["index"], table["reason"], strict=True)) == {
        0: "conflicting",
        1: "conflicting",
        2: "test_copy",
        5: "repeat",
        6: "blank",
    }
    assert table["index"].dtype == np.int64


def test_audit_of_an_empty_faceset_reports_zeros():
    empty = FaceSet(
        np.zeros((0, 48, 48, 1), np.uint8),
        np.zeros(0, np.int64),
        ("a", "b"),
        pd.DataFrame({"usage": [], "source": []}),
        "empty",
    )
    report = audit(empty)
    assert set(report.summary().values()) == {0}
    assert list(report.class_counts.index) == ["a", "b"]
    assert report.blank.empty and report.duplicate_groups.empty
