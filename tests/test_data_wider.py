"""The WIDER FACE validation loader: a fake folder in the official formats, then the real subset."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from scipy.io import savemat

from emostudy.data import WIDER_SETTINGS, load_wider_face_val
from emostudy.data.wider import parse_wider_gt
from emostudy.errors import DataLayoutError, DataNotFoundError, InvalidInputError
from emostudy.settings import data_dir

# event -> image -> faces (x, y, w, h, blur, expression, illumination, invalid, occlusion, pose)
FAKE = {
    "0--Parade": {
        "0_Parade_a": [
            (10, 10, 40, 40, 0, 0, 0, 0, 0, 0),
            (60, 10, 8, 9, 2, 0, 0, 0, 1, 0),
            (80, 30, 3, 3, 2, 0, 0, 1, 0, 0),  # invalid
        ],
        "0_Parade_b": [],
    },
    "1--Handshaking": {"1_Handshaking_c": [(5, 5, 30, 30, 0, 0, 1, 0, 2, 1)]},
}
# 1-based keep-lists, as in the official .mat files
KEEP = {
    "easy": {"0_Parade_a": [1], "0_Parade_b": [], "1_Handshaking_c": []},
    "medium": {"0_Parade_a": [1], "0_Parade_b": [], "1_Handshaking_c": [1]},
    "hard": {"0_Parade_a": [1, 2], "0_Parade_b": [], "1_Handshaking_c": [1]},
}


def _cells(values):
    out = np.empty((len(values), 1), dtype=object)
    for i, v in enumerate(values):
        out[i, 0] = v
    return out


def write_fake_wider(root: Path, *, demographics: bool = True, keep=None) -> Path:
    """The fake set in the official formats; ``keep`` replaces :data:`KEEP` (1-based lists)."""
    keep_lists = KEEP if keep is None else keep
    lines = []
    for event, images in FAKE.items():
        (root / "images" / event).mkdir(parents=True, exist_ok=True)
        for name, faces in images.items():
            cv2.imwrite(
                str(root / "images" / event / f"{name}.jpg"), np.zeros((100, 120, 3), np.uint8)
            )
            lines += [f"{event}/{name}.jpg", str(len(faces))]
            lines += [" ".join(map(str, f)) + " " for f in faces] or ["0 0 0 0 0 0 0 0 0 0 "]
    (root / "wider_face_val_bbx_gt.txt").write_text("\n".join(lines) + "\n")
    events = list(FAKE)
    gt = root / "ground_truth"
    gt.mkdir()
    base = {
        "event_list": _cells([np.array([e]) for e in events]),
        "file_list": _cells([_cells([np.array([n]) for n in FAKE[e]]) for e in events]),
        "face_bbx_list": _cells(
            [
                _cells(
                    [np.array([f[:4] for f in fs], float).reshape(-1, 4) for fs in FAKE[e].values()]
                )
                for e in events
            ]
        ),
    }
    savemat(gt / "wider_face_val.mat", base)
    for setting, kept in keep_lists.items():
        lists = _cells(
            [_cells([np.array(kept[n], np.uint16).reshape(-1, 1) for n in FAKE[e]]) for e in events]
        )
        savemat(gt / f"wider_{setting}_val.mat", {**base, "gt_list": lists})
    if demographics:
        (root / "demographics_val.csv").write_text(
            ",file,perceived_gender,perceived_age,perceived_skin,face\n"
            "0,images/0--Parade/0_Parade_a.jpg,Female,Adult,V,1\n"
            "1,images/1--Handshaking/1_Handshaking_c.jpg,Male,Senior,II,0\n"
        )
    return root


@pytest.fixture
def fake_wider(tmp_path):
    return write_fake_wider(tmp_path / "wider_face_val")


def test_loads_boxes_attributes_keep_lists_and_demographics(fake_wider):
    wider = load_wider_face_val(fake_wider)
    assert len(wider) == 3 and list(wider) == [
        "0--Parade/0_Parade_a.jpg",
        "0--Parade/0_Parade_b.jpg",
        "1--Handshaking/1_Handshaking_c.jpg",
    ]
    assert wider.images["n_faces"].tolist() == [3, 0, 1]
    assert wider.images["event"].tolist() == ["0--Parade", "0--Parade", "1--Handshaking"]
    faces = wider.faces
    assert len(faces) == 4 and faces["face"].tolist() == [0, 1, 2, 0]
    assert wider.boxes("0--Parade/0_Parade_a.jpg").tolist()[1] == [60, 10, 8, 9]
    assert wider.boxes("0--Parade/0_Parade_b.jpg").shape == (0, 4)
    assert faces["occlusion"].tolist() == [0, 1, 0, 2] and faces["invalid"].tolist() == [0, 0, 1, 0]
    # MATLAB 1-based keep indices -> flags on the right faces
    assert faces["easy"].tolist() == [True, False, False, False]
    assert faces["medium"].tolist() == [True, False, False, True]
    assert faces["hard"].tolist() == [True, True, False, True]
    # demographics joined on file and 0-based face index
    assert faces["perceived_skin"].isna().tolist() == [True, False, True, False]
    assert faces.loc[1, "perceived_skin"] == "V" and faces.loc[3, "perceived_age"] == "Senior"
    assert wider.path("0--Parade/0_Parade_a.jpg").is_file()


def test_ignore_flags_follow_the_keep_list_and_invalid(fake_wider):
    wider = load_wider_face_val(fake_wider)
    file = "0--Parade/0_Parade_a.jpg"
    assert wider.ignore(file, "easy").tolist() == [False, True, True]
    assert wider.ignore(file, "hard").tolist() == [False, False, True]
    with pytest.raises(InvalidInputError):
        wider.ignore(file, "extreme")
    with pytest.raises(InvalidInputError):
        wider.boxes("no/such.jpg")


def test_subset_and_seeded_sample_keep_faces_aligned(fake_wider):
    wider = load_wider_face_val(fake_wider)
    sub = wider.subset(["1--Handshaking/1_Handshaking_c.jpg", "0--Parade/0_Parade_a.jpg"])
    assert sub.faces["file"].tolist() == [
        "1--Handshaking/1_Handshaking_c.jpg",
        *["0--Parade/0_Parade_a.jpg"] * 3,
    ]
    assert (
        sub.boxes("0--Parade/0_Parade_a.jpg").tolist()
        == wider.boxes("0--Parade/0_Parade_a.jpg").tolist()
    )
    a, b = wider.sample(2, seed=1), wider.sample(2, seed=1)
    assert list(a) == list(b) and len(a) == 2
    assert wider.sample(10) is wider


def test_parse_rejects_a_malformed_file(tmp_path):
    bad = tmp_path / "gt.txt"
    bad.write_text("0--Parade/x.jpg\n2\n1 2 3 4 0 0 0 0 0 0\n")
    with pytest.raises(DataLayoutError, match="WIDER FACE ground-truth format"):
        parse_wider_gt(bad)
    with pytest.raises(DataNotFoundError):
        parse_wider_gt(tmp_path / "none.txt")


def test_missing_pieces_are_clear_errors(fake_wider, tmp_path):
    with pytest.raises(DataNotFoundError, match="WIDER FACE"):
        load_wider_face_val(tmp_path / "absent")
    (fake_wider / "images" / "0--Parade" / "0_Parade_b.jpg").unlink()
    with pytest.raises(DataNotFoundError, match="0_Parade_b.jpg"):
        load_wider_face_val(fake_wider)


def test_missing_mat_file_and_inconsistent_boxes(tmp_path):
    root = write_fake_wider(tmp_path / "a")
    (root / "ground_truth" / "wider_hard_val.mat").unlink()
    with pytest.raises(DataNotFoundError, match="wider_hard_val.mat"):
        load_wider_face_val(root)
    root = write_fake_wider(tmp_path / "b", demographics=False)
    text = (root / "wider_face_val_bbx_gt.txt").read_text().replace("10 10 40 40", "11 10 40 40")
    (root / "wider_face_val_bbx_gt.txt").write_text(text)
    with pytest.raises(DataLayoutError, match="disagree"):
        load_wider_face_val(root)


def test_missing_data_set_names_the_setting(missing_data_dir):
    with pytest.raises(DataNotFoundError, match="EMOSTUDY_DATA"):
        load_wider_face_val()


@pytest.mark.needs_data
def test_the_real_validation_subset():
    if not (data_dir() / "wider_face_val").is_dir():
        pytest.skip("WIDER FACE validation subset not found (set EMOSTUDY_DATA)")
    wider = load_wider_face_val()
    assert len(wider) == 488 and len(wider.faces) == 6608
    assert wider.images["event"].nunique() == 61
    faces = wider.faces
    # the settings are nested: easy within medium within hard; invalid faces never count
    assert not (faces["easy"] & ~faces["medium"]).any()
    assert not (faces["medium"] & ~faces["hard"]).any()
    for setting in WIDER_SETTINGS:
        assert not (faces[setting] & (faces["invalid"] == 1)).any()
    assert faces["easy"].sum() < faces["medium"].sum() < faces["hard"].sum()
    assert faces["perceived_skin"].notna().sum() > 1000
    assert set(faces["perceived_skin"].dropna()) <= {"I", "II", "III", "IV", "V", "VI", "Not Sure"}


def test_a_truncated_mat_file_is_named(tmp_path):
    root = write_fake_wider(tmp_path / "w")
    mat = root / "ground_truth" / "wider_easy_val.mat"
    mat.write_bytes(mat.read_bytes()[:100])
    with pytest.raises(DataLayoutError, match=r"wider_easy_val.mat .*truncated.*Download it again"):
        load_wider_face_val(root)
