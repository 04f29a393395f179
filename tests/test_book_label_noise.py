"""Chapter 8's votes for a run profile: the real file, or loud seeded stand-in votes."""

import numpy as np
import pytest

from emostudy.book import load_votes_for, stand_in_votes
from emostudy.data import SyntheticDataWarning, load_fer2013, make_synthetic_faces
from emostudy.errors import DataNotFoundError, InvalidInputError
from emostudy.evaluation import majority_vote
from tests.data_fixtures import FAKE_FER_FILES
from tests.test_data_ferplus import VOTES, write_votes


def test_stand_in_votes_are_seeded_ten_per_face_and_lean_to_the_label():
    faces = make_synthetic_faces(40, seed=0)
    first, again = stand_in_votes(faces, seed=3), stand_in_votes(faces, seed=3)
    np.testing.assert_array_equal(first.counts, again.counts)
    assert not np.array_equal(first.counts, stand_in_votes(faces, seed=4).counts)
    assert (first.counts.sum(axis=1) == 10).all()
    np.testing.assert_array_equal(first.majority, majority_vote(first.counts))
    assert 0.4 < np.mean(first.majority == faces.labels) < 0.9
    assert (stand_in_votes(faces, agreement=1.0).majority == faces.labels).all()
    with pytest.raises(InvalidInputError, match="agreement"):
        stand_in_votes(faces, agreement=1.5)


def test_quick_profile_on_synthetic_faces_warns_and_stands_in(capsys):
    faces = make_synthetic_faces(5, seed=0)
    with pytest.warns(SyntheticDataWarning, match="stand-in votes"):
        got = load_votes_for("quick", faces, seed=1)
    assert "NOT a FER+ result" in capsys.readouterr().out
    np.testing.assert_array_equal(got.counts, stand_in_votes(faces, seed=1).counts)


def test_real_faces_get_the_real_votes_unfiltered(fake_fer_root, tmp_path):
    faces = load_fer2013(fake_fer_root, progress=False)
    votes = load_votes_for("full", faces, path=write_votes(tmp_path / "votes.csv"))
    assert len(votes) == len(FAKE_FER_FILES) == len(VOTES)  # nothing filtered
    assert (votes.majority == -1).sum() == 1  # the image without votes


def test_a_missing_votes_file_fails_in_full_and_stands_in_in_quick(fake_fer_root, tmp_path):
    faces = load_fer2013(fake_fer_root, progress=False)
    with pytest.raises(DataNotFoundError, match="FER\\+ votes file not found"):
        load_votes_for("full", faces, path=tmp_path / "absent.csv")
    with pytest.warns(SyntheticDataWarning):
        votes = load_votes_for("quick", faces, path=tmp_path / "absent.csv")
    assert votes.counts.sum() == 10 * len(faces)
    with pytest.raises(InvalidInputError, match="profile"):
        load_votes_for("slow", faces)
