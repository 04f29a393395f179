"""Loading FER-2013 (folder and CSV layouts), bad-input messages, and FaceSet behaviour."""

from __future__ import annotations

import warnings

import cv2
import numpy as np
import pandas as pd
import pytest

from emostudy.data import (
    FER_CLASSES,
    CorruptImageWarning,
    FaceSet,
    load_fer2013,
    read_gray,
)
from emostudy.errors import (
    CorruptImageError,
    DataLayoutError,
    DataNotFoundError,
    InvalidInputError,
)
from tests.data_fixtures import (
    FAKE_FER_FILES,
    fake_face,
    fake_fer_csv_rows,
    write_fake_fer_folder,
    write_fer_csv,
)

# --------------------------------------------------------------------------------- folder layout


def test_folder_layout_images_labels_and_meta(fake_fer_root):
    faceset = load_fer2013(fake_fer_root, progress=False)
    assert faceset.name == "FER-2013" and not faceset.synthetic
    assert faceset.images.shape == (9, 48, 48, 1) and faceset.images.dtype == np.uint8
    assert faceset.labels.dtype == np.int64
    assert faceset.classes == FER_CLASSES
    # Sorted by usage (Training, PublicTest, PrivateTest), then label, then file name.
    assert (
        list(faceset.meta["usage"]) == ["Training"] * 5 + ["PublicTest"] * 2 + ["PrivateTest"] * 2
    )
    names = [FER_CLASSES[label] for label in faceset.labels]
    assert names == ["angry", "angry", "happy", "neutral", "neutral", "happy", "sad"] + [
        "angry",
        "neutral",
    ]
    assert faceset.labels[3] == 6  # folder "Neutral" -> index 6 of the original CSV order
    assert list(faceset.meta.columns[:4]) == ["usage", "source", "split", "file_id"]
    assert list(faceset.meta["split"]) == ["train"] * 5 + ["test"] * 4
    assert list(faceset.meta["file_id"]) == [name[:-4] for _, _, name in FAKE_FER_FILES]
    assert faceset.meta["source"][0].endswith("train/angry/Training_1.png")
    assert isinstance(faceset.meta.index, pd.RangeIndex)
    for i in range(len(FAKE_FER_FILES)):
        np.testing.assert_array_equal(faceset.images[i, :, :, 0], fake_face(i))


def test_loading_is_deterministic(fake_fer_root):
    first = load_fer2013(fake_fer_root, progress=False)
    second = load_fer2013(fake_fer_root, progress=False)
    np.testing.assert_array_equal(first.images, second.images)
    np.testing.assert_array_equal(first.labels, second.labels)
    pd.testing.assert_frame_equal(first.meta, second.meta)


def test_usage_restricts_and_skips_reading_other_files(fake_fer_root):
    # A corrupt training file must not even be read when only test usages are requested.
    (fake_fer_root / "train" / "angry" / "Training_0.png").write_bytes(b"not an image")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        private = load_fer2013(fake_fer_root, usage="PrivateTest", progress=False)
        tests = load_fer2013(fake_fer_root, usage=["privatetest", "PublicTest"], progress=False)
    assert list(private.meta["file_id"]) == ["PrivateTest_8", "PrivateTest_9"]
    assert list(tests.meta["usage"]) == ["PublicTest"] * 2 + ["PrivateTest"] * 2


def test_unknown_usage_lists_valid_ones(fake_fer_root):
    with pytest.raises(InvalidInputError, match="Training, PublicTest, PrivateTest"):
        load_fer2013(fake_fer_root, usage="Validation", progress=False)


def test_missing_folder_names_path_and_source(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(DataNotFoundError, match="nowhere") as info:
        load_fer2013(missing, progress=False)
    assert "Kaggle" in str(info.value)


def test_default_path_missing_says_where_to_get_it(missing_data_dir):
    with pytest.raises(DataNotFoundError) as info:
        load_fer2013(progress=False)
    message = str(info.value)
    assert str(missing_data_dir / "fer2013") in message and "EMOSTUDY_DATA" in message


def test_folder_without_train_and_test_explains_layouts(tmp_path):
    (tmp_path / "angry").mkdir()
    with pytest.raises(DataLayoutError) as info:
        load_fer2013(tmp_path, progress=False)
    message = str(info.value)
    assert str(tmp_path) in message
    assert "train/<class>" in message and "fer2013.csv" in message


def test_unknown_class_folder_is_named_with_valid_names(fake_fer_root):
    (fake_fer_root / "train" / "contempt").mkdir()
    with pytest.raises(DataLayoutError) as info:
        load_fer2013(fake_fer_root, progress=False)
    message = str(info.value)
    assert "train/contempt" in message
    assert "angry, disgust, fear, happy, sad, surprise, neutral" in message


def test_test_file_without_usage_prefix_is_named(fake_fer_root):
    cv2.imwrite(str(fake_fer_root / "test" / "sad" / "Test_10.png"), fake_face(10))
    with pytest.raises(DataLayoutError) as info:
        load_fer2013(fake_fer_root, progress=False)
    message = str(info.value)
    assert "test/sad/Test_10.png" in message
    assert "PublicTest_" in message and "PrivateTest_" in message


def test_stray_file_in_train_is_named(fake_fer_root):
    (fake_fer_root / "train" / "notes.txt").write_text("hello")
    with pytest.raises(DataLayoutError, match="train/notes.txt") as info:
        load_fer2013(fake_fer_root, progress=False)
    assert "class folders" in str(info.value)


def test_hidden_files_are_ignored(fake_fer_root):
    (fake_fer_root / "train" / ".DS_Store").write_text("")
    assert len(load_fer2013(fake_fer_root, progress=False)) == len(FAKE_FER_FILES)


def test_a_few_corrupt_images_are_skipped_with_one_counted_warning(fake_fer_root):
    bad = fake_fer_root / "train" / "happy" / "Training_0.png"
    bad.write_bytes(b"\x89PNG truncated")
    (fake_fer_root / "train" / "sad").mkdir()
    (fake_fer_root / "train" / "sad" / "Training_00.jpg").write_bytes(b"")
    with pytest.warns(CorruptImageWarning) as record:
        faceset = load_fer2013(fake_fer_root, progress=False)
    corrupt_warnings = [w for w in record if issubclass(w.category, CorruptImageWarning)]
    assert len(corrupt_warnings) == 1
    message = str(corrupt_warnings[0].message)
    assert "Skipped 2 of 11" in message and str(bad) in message
    assert len(faceset) == len(FAKE_FER_FILES)
    assert "Training_0" not in set(faceset.meta["file_id"])


def test_many_corrupt_images_raise_with_count_and_fix(tmp_path):
    files = [("train", "angry", f"Training_{i}.png") for i in range(10)]
    write_fake_fer_folder(tmp_path, files)
    (tmp_path / "test").mkdir()
    for i in range(6):
        (tmp_path / "train" / "angry" / f"Training_{i}.png").write_bytes(b"garbage")
    with pytest.raises(CorruptImageError) as info:
        load_fer2013(tmp_path, progress=False)
    message = str(info.value)
    assert "6 of 10" in message and "Training_0.png" in message and "re-download" in message


def test_wrong_image_size_names_path_size_and_fix(fake_fer_root):
    big = fake_fer_root / "train" / "angry" / "Training_99.png"
    cv2.imwrite(str(big), np.zeros((40, 64), dtype=np.uint8))
    with pytest.raises(DataLayoutError) as info:
        load_fer2013(fake_fer_root, progress=False)
    message = str(info.value)
    assert str(big) in message and "64x40" in message
    assert "48x48 grayscale" in message and "Resize" in message


# --------------------------------------------------------------------------------- read_gray


def test_read_gray_reads_colour_as_gray(tmp_path):
    path = tmp_path / "colour.png"
    cv2.imwrite(str(path), np.full((48, 48, 3), 100, dtype=np.uint8))
    image = read_gray(path)
    assert image.shape == (48, 48) and image.dtype == np.uint8 and image[0, 0] == 100


def test_read_gray_errors(tmp_path):
    with pytest.raises(DataNotFoundError, match="missing.png"):
        read_gray(tmp_path / "missing.png")
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes(b"\xff\xd8 not really a jpeg")
    with pytest.raises(CorruptImageError, match="corrupt.jpg"):
        read_gray(corrupt)


# --------------------------------------------------------------------------------- CSV layout


def test_csv_and_folder_layouts_give_identical_arrays(fake_fer_root, tmp_path):
    folder = load_fer2013(fake_fer_root, progress=False)
    csv_path = write_fer_csv(tmp_path / "fer2013.csv", fake_fer_csv_rows())
    from_csv = load_fer2013(csv_path, progress=False)
    np.testing.assert_array_equal(from_csv.images, folder.images)
    np.testing.assert_array_equal(from_csv.labels, folder.labels)
    assert list(from_csv.meta["usage"]) == list(folder.meta["usage"])
    assert set(from_csv.meta["split"]) == {"csv"}
    # The first training row is line 6 (header + 4 test rows come first in the file).
    assert from_csv.meta["file_id"][0] == "row_6"
    assert from_csv.meta["source"][0] == "fer2013.csv:6"
    # A folder holding fer2013.csv (and no train/test folders) is read as CSV too.
    again = load_fer2013(tmp_path, usage="Training", progress=False)
    np.testing.assert_array_equal(again.images, folder.where(usage="Training").images)


BAD_ROWS = [
    ("wrong pixel count", (3, " ".join(["1"] * 2303), "Training"), "2303 pixel values"),
    ("non-integer pixel", (3, " ".join(["1"] * 2303 + ["x"]), "Training"), "'x' is not an integer"),
    ("pixel above 255", (3, " ".join(["1"] * 2303 + ["256"]), "Training"), "256 is outside"),
    ("negative pixel", (3, " ".join(["-1"] + ["1"] * 2303), "Training"), "-1 is outside"),
    ("emotion out of range", (7, fake_face(0), "Training"), "emotion '7'"),
    ("emotion not integer", ("happy", fake_face(0), "Training"), "emotion 'happy'"),
    ("unknown usage", (3, fake_face(0), "Validation"), "unknown Usage 'Validation'"),
]


@pytest.mark.parametrize(
    ("bad_row", "what"), [r[1:] for r in BAD_ROWS], ids=[r[0] for r in BAD_ROWS]
)
def test_bad_csv_row_names_file_line_problem_and_fix(tmp_path, bad_row, what):
    rows = [(0, fake_face(1), "Training"), bad_row, (1, fake_face(2), "PublicTest")]
    path = write_fer_csv(tmp_path / "fer2013.csv", rows)
    with pytest.raises(DataLayoutError) as info:
        load_fer2013(path, progress=False)
    message = str(info.value)
    assert str(path) in message and "line 3" in message and what in message
    assert "Fix or delete that row" in message


def test_csv_row_with_wrong_field_count(tmp_path):
    path = tmp_path / "fer2013.csv"
    path.write_text("emotion,pixels,Usage\n0," + " ".join(["1"] * 2304) + ",Training,extra\n")
    with pytest.raises(DataLayoutError, match="line 2: 4 fields instead of 3"):
        load_fer2013(path, progress=False)


def test_csv_missing_column_is_named(tmp_path):
    path = write_fer_csv(
        tmp_path / "fer2013.csv", [(0, fake_face(0), "x")], header=["emotion", "pixels", "split"]
    )
    with pytest.raises(DataLayoutError) as info:
        load_fer2013(path, progress=False)
    message = str(info.value)
    assert "lacks the column(s) Usage" in message and str(path) in message


def test_csv_usage_filter(tmp_path):
    path = write_fer_csv(tmp_path / "fer2013.csv", fake_fer_csv_rows())
    private = load_fer2013(path, usage="PrivateTest", progress=False)
    assert len(private) == 2 and set(private.meta["usage"]) == {"PrivateTest"}


# --------------------------------------------------------------------------------- FaceSet


def test_where_subset_and_class_counts(fake_fer_root):
    faceset = load_fer2013(fake_fer_root, progress=False)
    training = faceset.where(usage="Training")
    assert len(training) == 5 and isinstance(training.meta.index, pd.RangeIndex)
    assert len(faceset.where(usage=["PublicTest", "PrivateTest"])) == 4
    assert len(faceset.where(label="neutral")) == 3
    assert len(faceset.where(usage="Training", label="angry")) == 2
    counts = faceset.class_counts()
    assert list(counts.index) == list(FER_CLASSES)
    assert counts.to_dict() == {
        "angry": 3,
        "disgust": 0,
        "fear": 0,
        "happy": 2,
        "sad": 1,
        "surprise": 0,
        "neutral": 3,
    }
    picked = faceset.subset(np.array([8, 0]))
    assert list(picked.meta["file_id"]) == ["PrivateTest_9", "Training_1"]
    np.testing.assert_array_equal(picked.images[1], faceset.images[0])
    masked = faceset.subset(faceset.labels == 6)
    assert list(masked.meta.index) == [0, 1, 2]


def test_where_rejects_unknown_column_and_value(fake_fer_root):
    faceset = load_fer2013(fake_fer_root, progress=False)
    with pytest.raises(InvalidInputError, match="no column 'person'.*usage, source"):
        faceset.where(person="me")
    with pytest.raises(InvalidInputError, match="'Validation'.*Training"):
        faceset.where(usage="Validation")


def test_faceset_validates_shapes_and_dtypes():
    meta = pd.DataFrame({"usage": ["all"] * 2, "source": ["a", "b"]})
    images = np.zeros((2, 48, 48, 1), dtype=np.uint8)
    labels = np.array([0, 1], dtype=np.int64)
    FaceSet(images, labels, ("a", "b"), meta, "test")
    with pytest.raises(InvalidInputError, match="shape"):
        FaceSet(images[..., 0], labels, ("a", "b"), meta, "test")
    with pytest.raises(InvalidInputError, match="uint8"):
        FaceSet(images.astype(np.float32), labels, ("a", "b"), meta, "test")
    with pytest.raises(InvalidInputError, match="int64"):
        FaceSet(images, labels.astype(np.int32), ("a", "b"), meta, "test")
    with pytest.raises(InvalidInputError, match="0..1"):
        FaceSet(images, np.array([0, 2]), ("a", "b"), meta, "test")
    with pytest.raises(InvalidInputError, match="3 rows|2 rows"):
        FaceSet(images, labels, ("a", "b"), meta.iloc[:1], "test")
    with pytest.raises(InvalidInputError, match="RangeIndex"):
        FaceSet(images, labels, ("a", "b"), meta.set_index(pd.Index([5, 6])), "test")
    with pytest.raises(InvalidInputError, match="source"):
        FaceSet(images, labels, ("a", "b"), meta[["usage"]], "test")


# --------------------------------------------------------------------------------- real data


@pytest.mark.needs_data
def test_real_fer2013_usage_counts(fer2013_real):
    counts = fer2013_real.meta["usage"].value_counts().to_dict()
    assert counts == {"Training": 28706, "PublicTest": 3589, "PrivateTest": 3589}
    assert fer2013_real.images.shape == (35884, 48, 48, 1)
    assert fer2013_real.class_counts()["disgust"] == 547
    assert fer2013_real.class_counts()["happy"] == 8988


@pytest.mark.needs_data
def test_real_fer2013_single_usage_matches_full_load(fer2013_dir, fer2013_real):
    private = load_fer2013(fer2013_dir, usage="PrivateTest", progress=False)
    expected = fer2013_real.where(usage="PrivateTest")
    np.testing.assert_array_equal(private.images, expected.images)
    np.testing.assert_array_equal(private.labels, expected.labels)


# ------------------------------------------------------------------ issue 12: bad inputs and edges


def test_a_header_only_csv_is_an_empty_data_set(tmp_path):
    path = write_fer_csv(tmp_path / "fer2013.csv", [])
    with pytest.raises(DataLayoutError, match=r"fer2013.csv has no rows of usage Training"):
        load_fer2013(path, progress=False)
    with pytest.raises(DataLayoutError, match="fer2013.csv has no rows"):
        load_fer2013(tmp_path, progress=False)


def test_an_empty_class_folder_and_an_empty_data_set_name_the_folder(tmp_path):
    root = tmp_path / "fer2013"
    write_fake_fer_folder(root)
    (root / "train" / "disgust").mkdir()
    with pytest.raises(DataLayoutError, match=r"Class folder .*disgust is empty"):
        load_fer2013(root, progress=False)
    empty = tmp_path / "empty"
    (empty / "train").mkdir(parents=True)
    with pytest.raises(DataLayoutError, match=rf"No Training images found in {empty}"):
        load_fer2013(empty, usage="Training", progress=False)


def test_a_csv_with_a_byte_order_mark_loads(tmp_path):
    rows = fake_fer_csv_rows()
    plain = load_fer2013(write_fer_csv(tmp_path / "plain.csv", rows), progress=False)
    path = write_fer_csv(tmp_path / "bom.csv", rows)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    with_bom = load_fer2013(path, progress=False)
    np.testing.assert_array_equal(with_bom.images, plain.images)
    np.testing.assert_array_equal(with_bom.labels, plain.labels)


def test_comma_separated_pixels_are_quoted_by_their_start_only(tmp_path):
    pixels = ",".join(map(str, fake_face(0).ravel()))
    path = write_fer_csv(tmp_path / "fer2013.csv", [(0, pixels, "Training")])
    with pytest.raises(DataLayoutError, match="separated by spaces, not commas") as error:
        load_fer2013(path, progress=False)
    assert len(str(error.value)) < 600 and pixels not in str(error.value)


@pytest.mark.parametrize("usage", [1, b"Training", 2.0])
def test_a_wrongly_typed_usage_is_named(fake_fer_root, usage):
    with pytest.raises(InvalidInputError, match="usage must be a usage name or a list"):
        load_fer2013(fake_fer_root, usage=usage, progress=False)


def test_a_wrongly_typed_path_and_a_folder_given_as_an_image(tmp_path):
    with pytest.raises(InvalidInputError, match=r"path must be a folder or file path"):
        load_fer2013(42, progress=False)
    with pytest.raises(InvalidInputError, match="is a folder, not an image file"):
        read_gray(tmp_path)


def test_a_csv_without_its_header_is_quoted_by_the_start_of_each_field(tmp_path):
    path = tmp_path / "fer2013.csv"
    pixels = " ".join(map(str, fake_face(0).ravel()))
    path.write_text(f"0,{pixels},Training\n")
    with pytest.raises(DataLayoutError, match="lacks the column") as error:
        load_fer2013(path, progress=False)
    assert len(str(error.value)) < 600 and pixels not in str(error.value)
