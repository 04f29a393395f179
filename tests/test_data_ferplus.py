"""FER+ votes attached to FER-2013 faces: counts, shares, the majority and its tie rule, the FER+
filter, the 8th class, errors for a missing or mismatched votes file, and the real file's counts."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from emostudy.data import (
    FER_CLASSES,
    FERPLUS_CLASSES,
    VOTE_COLUMNS,
    FerPlusSet,
    load_fer2013,
    load_ferplus,
)
from emostudy.data.ferplus import FERPLUS_NAMES, FERPLUS_ORDER, NO_VOTES, read_ferplus_votes
from emostudy.errors import DataLayoutError, DataNotFoundError, InvalidInputError
from tests.data_fixtures import FAKE_FER_FILES, fake_fer_csv_rows, write_fer_csv

HEADER = ["file", "fer2013_row", *FERPLUS_ORDER, "match_rms", "identical_rows"]

#: Votes for the fake folder's 9 files, in FER+ order: neutral happiness surprise sadness anger
#: disgust fear contempt unknown NF (None: no votes), and the majority the rule must give.
VOTES = [
    ([3, 0, 0, 0, 7, 0, 0, 0, 0, 0], "angry"),
    ([5, 0, 0, 0, 5, 0, 0, 0, 0, 0], "neutral"),  # tie: neutral comes first in FER+ order
    ([0, 4, 4, 0, 0, 0, 0, 0, 2, 0], "happy"),  # tie: happiness before surprise
    ([4, 0, 0, 0, 0, 0, 0, 6, 0, 0], "contempt"),
    ([4, 0, 0, 0, 0, 0, 0, 0, 6, 0], "unknown"),
    (None, "none"),
    ([0, 0, 0, 5, 0, 0, 0, 0, 0, 5], "sad"),  # tie: an emotion beats NF
    ([0, 0, 1, 0, 0, 0, 3, 0, 3, 3], "fear"),  # three-way tie with unknown and NF
    ([0, 0, 0, 0, 0, 0, 0, 0, 0, 10], "not_face"),
]


def write_votes(path: Path, votes=VOTES, files=FAKE_FER_FILES, header=HEADER) -> Path:
    """A votes CSV for the fake folder (file names lower-cased, as a case-insensitive join)."""
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row, ((split, folder, name), (counts, _)) in enumerate(zip(files, votes, strict=True)):
            values = ["" for _ in FERPLUS_ORDER] if counts is None else counts
            fer_row = "" if counts is None else row
            full = [f"{split}/{folder.lower()}/{name}", fer_row, *values, 1.5, 1]
            writer.writerow(full[: len(header)] if header is HEADER else _pick(header, full))
    return path


def _pick(header, full):
    return [full[HEADER.index(column)] for column in header]


@pytest.fixture
def fake_faces(fake_fer_root):
    return load_fer2013(fake_fer_root, progress=False)


@pytest.fixture
def votes_file(tmp_path):
    return write_votes(tmp_path / "ferplus_votes.csv")


def test_class_orders_and_names():
    assert (*FER_CLASSES, "contempt") == FERPLUS_CLASSES
    assert (*FERPLUS_CLASSES, "unknown", "not_face") == VOTE_COLUMNS
    assert sorted(FERPLUS_NAMES[name] for name in VOTE_COLUMNS) == sorted(FERPLUS_ORDER)


def test_counts_follow_emostudy_order_and_the_unfiltered_majority(fake_faces, votes_file):
    votes = load_ferplus(fake_faces, path=votes_file, ferplus_filter=False)
    assert isinstance(votes, FerPlusSet) and len(votes) == 9
    assert votes.counts.shape == (9, 10) and votes.counts.dtype == np.int64
    for i, (counts, _) in enumerate(VOTES):
        expected = [0] * 10 if counts is None else counts
        for column, value in zip(FERPLUS_ORDER, expected, strict=True):
            ours = [k for k, v in FERPLUS_NAMES.items() if v == column][0]
            assert votes.counts[i, VOTE_COLUMNS.index(ours)] == value
    names = [*VOTE_COLUMNS, "none"]
    assert [names[m] for m in votes.majority] == [majority for _, majority in VOTES]
    assert votes.majority[5] == NO_VOTES
    assert list(votes.faces.meta["ferplus_majority"]) == [majority for _, majority in VOTES]
    np.testing.assert_array_equal(votes.fer2013_labels, fake_faces.labels)
    np.testing.assert_array_equal(votes.faces.images, fake_faces.images)


def test_the_ferplus_filter_drops_unknown_not_a_face_and_unvoted(fake_faces, votes_file):
    votes = load_ferplus(fake_faces, path=votes_file)
    assert list(votes.faces.meta["ferplus_majority"]) == [
        "angry",
        "neutral",
        "happy",
        "contempt",
        "sad",
        "fear",
    ]
    seven = votes.seven_class()
    assert "contempt" not in set(seven.faces.meta["ferplus_majority"]) and len(seven) == 5


def test_shares_over_8_and_7_emotions(fake_faces, votes_file):
    votes = load_ferplus(fake_faces, path=votes_file, ferplus_filter=False)
    shares8, shares7 = votes.shares(8), votes.shares(7)
    assert shares8.shape == (9, 8) and shares7.shape == (9, 7)
    # happiness 4, surprise 4, unknown 2: unknown does not count, so 0.5 / 0.5
    assert shares8[2, FERPLUS_CLASSES.index("happy")] == 0.5
    assert shares8[2, FERPLUS_CLASSES.index("surprise")] == 0.5
    # neutral 4, contempt 6: 8 classes 0.4 / 0.6; 7 classes neutral 1.0
    assert shares8[3, FERPLUS_CLASSES.index("contempt")] == pytest.approx(0.6)
    assert shares7[3, FER_CLASSES.index("neutral")] == 1.0
    # rows without an emotion vote are zeros; the others sum to 1
    assert not shares8[5].any() and not shares8[8].any()
    sums = shares8.sum(axis=1)
    np.testing.assert_allclose(sums[[0, 1, 2, 3, 4, 6, 7]], 1.0)
    with pytest.raises(InvalidInputError):
        votes.shares(10)


def test_majority_faceset_for_8_and_7_classes(fake_faces, votes_file):
    votes = load_ferplus(fake_faces, path=votes_file)
    eight = votes.majority_faceset(8)
    assert eight.classes == FERPLUS_CLASSES and len(eight) == 6
    assert [eight.classes[i] for i in eight.labels] == list(votes.faces.meta["ferplus_majority"])
    seven = votes.majority_faceset(7)
    assert seven.classes == FER_CLASSES and len(seven) == 5
    assert list(seven.meta["fer2013_label"]) == ["angry", "angry", "happy", "sad", "angry"]


def test_subset_and_where_keep_counts_in_step(fake_faces, votes_file):
    votes = load_ferplus(fake_faces, path=votes_file)
    training = votes.where(usage="Training")
    assert len(training) == 4
    np.testing.assert_array_equal(training.counts, votes.counts[:4])


def test_join_by_row_for_faces_from_the_original_csv(tmp_path, votes_file):
    # The CSV's data rows in file order are the fake files' order (test rows first).
    rows = fake_fer_csv_rows()
    path = write_fer_csv(tmp_path / "fer2013.csv", rows)
    faces = load_fer2013(path, progress=False)
    # Votes keyed by fer2013_row = CSV line - 2: reorder VOTES to the CSV's row order.
    order = [i for i, (s, _, _) in enumerate(FAKE_FER_FILES) if s == "test"] + [
        i for i, (s, _, _) in enumerate(FAKE_FER_FILES) if s == "train"
    ]
    csv_votes = tmp_path / "csv_votes.csv"
    with open(csv_votes, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for row, i in enumerate(order):
            counts = VOTES[i][0]
            if counts is not None:
                writer.writerow([f"x/{i}.jpg", row, *counts, 1.0, 1])
    joined = load_ferplus(faces, path=csv_votes, ferplus_filter=False)
    lines = faces.meta["source"].str.rsplit(":", n=1).str[1].astype(int)
    expected = [VOTES[order[line - 2]][1] for line in lines]
    assert list(joined.faces.meta["ferplus_majority"]) == expected


# ----------------------------------------------------------------------------------- errors


def test_missing_votes_file_is_a_data_not_found_error(fake_faces, tmp_path):
    with pytest.raises(DataNotFoundError, match="FER\\+ votes file not found"):
        load_ferplus(fake_faces, path=tmp_path / "nothing.csv")
    with pytest.raises(FileNotFoundError):  # also the built-in class
        load_ferplus(fake_faces, path=tmp_path)  # a folder without the file


def test_missing_columns_are_named(fake_faces, tmp_path):
    header = [c for c in HEADER if c not in ("contempt", "NF")]
    path = write_votes(tmp_path / "v.csv", header=header)
    with pytest.raises(DataLayoutError, match="contempt, NF"):
        load_ferplus(fake_faces, path=path)


def test_bad_vote_values_are_refused(fake_faces, tmp_path):
    votes = [list(v) for v in VOTES]
    votes[2] = ([0, 4, 4, 0, 0, 0, 0, 0, -2, 0], "x")
    path = write_votes(tmp_path / "v.csv", votes=votes)
    with pytest.raises(DataLayoutError, match="non-negative integers"):
        read_ferplus_votes(path)


def test_votes_that_do_not_join_the_files(fake_faces, tmp_path):
    files = list(FAKE_FER_FILES)
    files[3] = ("train", "neutral", "Training_999.png")
    path = write_votes(tmp_path / "v.csv", files=files)
    with pytest.raises(DataLayoutError, match="1 of the 9 faces have no row") as error:
        load_ferplus(fake_faces, path=path)
    assert "train/neutral/training_4.png" in str(error.value)


def test_not_a_faceset_is_refused(votes_file):
    with pytest.raises(InvalidInputError, match="FaceSet"):
        load_ferplus(np.zeros((2, 48, 48, 1), np.uint8), path=votes_file)


# -------------------------------------------------------------------------------- real data


@pytest.mark.needs_data
def test_real_votes_counts_match_the_readme(fer2013_real):
    everything = load_ferplus(fer2013_real, ferplus_filter=False)
    voted = everything.majority != NO_VOTES
    assert len(everything) == 35884 and voted.sum() == 35712
    usage = everything.faces.meta["usage"][voted].value_counts().to_dict()
    assert usage == {"Training": 28560, "PublicTest": 3579, "PrivateTest": 3573}
    sums = everything.counts[voted].sum(axis=1)
    assert (sums == 10).sum() == 35711 and set(sums) == {9, 10}  # one image has 9 votes
    private = load_ferplus(fer2013_real.where(usage="PrivateTest"))
    # the protocol: 3,518 PrivateTest images with a 7-class majority, 1,261 neutral
    seven = private.seven_class()
    assert len(seven) == 3518
    assert (seven.majority == FER_CLASSES.index("neutral")).sum() == 1261
