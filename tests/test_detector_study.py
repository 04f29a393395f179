"""The scaffolding of the detector chapters 5-7 (``emostudy.book.detector_study``)."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from emostudy.book import (
    choose_detector,
    claims_text,
    detector_gallery,
    haar_sweep,
    haar_sweep_numbers,
    original_study_claims,
    recall_gap_table,
    study_photos,
)
from emostudy.errors import DataNotFoundError, InvalidInputError

# --- photos by index ------------------------------------------------------------------------------


def _folder(tmp_path, names):
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in names:
        (folder / name).write_bytes(b"")
    return folder


def test_photos_are_chosen_by_index_in_the_sorted_folder(tmp_path):
    folder = _folder(tmp_path, ["b.jpg", "a.PNG", "notes.txt", "c.jpeg"])
    (folder / "sub.jpg").mkdir()  # a folder named like a photo is not a photo
    assert [p.name for p in study_photos(folder=folder)] == ["a.PNG", "b.jpg", "c.jpeg"]
    assert [p.name for p in study_photos([2, 0, -1], folder=folder)] == [
        "c.jpeg",
        "a.PNG",
        "c.jpeg",
    ]


def test_photo_indices_out_of_range_say_how_many_photos_there_are(tmp_path):
    folder = _folder(tmp_path, ["a.jpg", "b.jpg"])
    with pytest.raises(InvalidInputError, match="holds 2 photos"):
        study_photos([2], folder=folder)
    with pytest.raises(InvalidInputError, match="out of range"):
        study_photos([-3], folder=folder)


def test_an_empty_or_missing_photo_folder_is_refused(tmp_path):
    with pytest.raises(InvalidInputError, match="no JPEG or PNG"):
        study_photos(folder=_folder(tmp_path, ["readme.md"]))
    with pytest.raises(DataNotFoundError):
        study_photos(folder=tmp_path / "nowhere")


def test_photos_default_to_the_data_folder(tmp_path, monkeypatch):
    _folder(tmp_path, ["x.jpg"])
    monkeypatch.setenv("EMOSTUDY_DATA", str(tmp_path))
    assert [p.name for p in study_photos()] == ["x.jpg"]


# --- the gallery ----------------------------------------------------------------------------------


def test_the_gallery_has_one_panel_per_detector_and_hides_the_rest():
    image = np.zeros((60, 80, 3), np.uint8)
    boxes = np.array([[10, 10, 20, 20], [40, 20, 10, 10]], float)
    faces = {"a": boxes, "b": boxes[:1], "c": boxes[:0], "d": boxes}
    fig = detector_gallery(image, faces, title="photo", columns=3, size=2.0)
    visible = [ax for ax in fig.axes if ax.axison]
    assert len(fig.axes) == 6 and len(visible) == 4
    assert [ax.get_title() for ax in visible] == [
        "a: 2 faces",
        "b: 1 face",
        "c: 0 faces",
        "d: 2 faces",
    ]
    width, height = fig.get_size_inches()
    assert width == pytest.approx(6.0) and height < 10
    with pytest.raises(InvalidInputError):
        detector_gallery(image, faces, columns=0)
    portrait = np.zeros((150, 100, 3), np.uint8)
    nine = {str(k): boxes for k in range(9)}
    assert detector_gallery(portrait, nine, size=3.0).get_size_inches()[1] > 13
    assert detector_gallery(portrait, nine, size=3.0, max_height=9).get_size_inches()[1] <= 9.001


# --- the Haar sweep -------------------------------------------------------------------------------


def _sweep_table(easy_slow=0.5, easy_fast=0.45):
    rows = []
    for sf, ms, easy in ((1.05, 600.0, easy_slow), (1.1, 200.0, 0.48), (1.5, 60.0, easy_fast)):
        for mn, precision, recall in ((0, 0.01, 0.6), (1, 0.2, 0.5), (3, 0.5, 0.4), (12, 0.9, 0.3)):
            rows.append(
                {
                    "scale_factor": sf,
                    "min_neighbors": mn,
                    "ms_per_image": ms,
                    "ap_easy": easy - 0.01 * mn,
                    "ap_medium": easy - 0.05,
                    "ap_hard": easy - 0.3,
                    "precision_hard": precision,
                    "recall_hard": recall - 0.2,
                    "recall_easy": recall,
                    "faces_per_image": 10.0 / (1 + mn),
                }
            )
    return pd.DataFrame(rows)


def test_sweep_numbers_read_the_right_rows():
    numbers = haar_sweep_numbers(_sweep_table())
    assert numbers["default_precision_hard"] == 0.5 and numbers["default_ms_per_image"] == 200.0
    assert numbers["mn0_precision"] == 0.01 and numbers["mn_max"] == 12
    assert numbers["mn_max_recall_easy"] == 0.3
    assert (numbers["sf_slow"], numbers["sf_fast"]) == (1.05, 1.5)
    assert (numbers["ms_slow"], numbers["ms_fast"]) == (600.0, 60.0)
    assert numbers["ap_easy_slow"] == pytest.approx(0.49)  # at minNeighbors=1
    assert numbers["sf_clause"].startswith("the finer pyramid finds more faces")


@pytest.mark.parametrize(
    ("slow", "fast", "start"),
    [(0.45, 0.5, "on these images the coarser pyramid costs no AP"), (0.5, 0.495, "on these")],
)
def test_sweep_clause_follows_the_measured_change(slow, fast, start):
    assert haar_sweep_numbers(_sweep_table(slow, fast))["sf_clause"].startswith(start)


def test_sweep_numbers_need_the_default_row():
    with pytest.raises(InvalidInputError, match="no row scaleFactor=1.2"):
        haar_sweep_numbers(_sweep_table(), default=(1.2, 3))


def test_haar_sweep_on_two_wider_images():
    pytest.importorskip("cv2")
    from emostudy.data import load_wider_face_val

    try:
        wider = load_wider_face_val().sample(2, seed=0)
    except DataNotFoundError:
        pytest.skip("needs the WIDER FACE validation subset")
    table, evaluations = haar_sweep(wider, [1.3], [0, 3])
    assert list(table["min_neighbors"]) == [0, 3] and set(evaluations) == {(1.3, 0), (1.3, 3)}
    # grouping only ever removes faces, and costs no extra scan
    assert table["faces_per_image"].iloc[0] >= table["faces_per_image"].iloc[1]
    assert table["ms_per_image"].nunique() == 1 and (table["ms_per_image"] > 0).all()
    with pytest.raises(InvalidInputError):
        haar_sweep(wider, [1.0], [3])


# --- recall gaps with intervals -------------------------------------------------------------------


def test_recall_gap_point_values_and_paired_reference():
    rng = np.random.default_rng(0)
    n = 4000
    groups = np.where(np.arange(n) % 2 == 0, "light", "dark")
    clusters = np.arange(n) // 4  # four faces per image
    big = np.where(groups == "light", rng.random(n) < 0.9, rng.random(n) < 0.5)
    none = rng.random(n) < 0.7  # no gap
    found = {"haar": big, "same": big.copy(), "fair": none}
    table = recall_gap_table(
        found, groups, clusters, high="light", low="dark", reference="haar", n_boot=300
    )
    light, dark = groups == "light", groups == "dark"
    assert table.loc["haar", "gap"] == pytest.approx(big[light].mean() - big[dark].mean())
    assert table.loc["haar", "faces_high"] == table.loc["haar", "faces_low"] == n // 2
    assert table.loc["haar", "gap_low"] < table.loc["haar", "gap"] < table.loc["haar", "gap_high"]
    assert bool(table.loc["haar", "gap_resolved"]) and not bool(table.loc["fair", "gap_resolved"])
    # a detector identical to the reference differs from it by exactly 0 on every resample
    assert table.loc["same", ["minus_reference_low", "minus_reference_high"]].tolist() == [0, 0]
    assert bool(table.loc["fair", "minus_reference_resolved"])


def test_recall_gap_intervals_widen_with_fewer_faces():
    rng = np.random.default_rng(1)

    def width(n):
        groups = np.where(np.arange(n) % 2 == 0, "a", "b")
        found = {"d": rng.random(n) < np.where(groups == "a", 0.8, 0.6)}
        t = recall_gap_table(found, groups, np.arange(n), high="a", low="b", n_boot=400)
        return float(t.loc["d", "gap_high"] - t.loc["d", "gap_low"])

    assert width(100) > 2 * width(2000)


def test_recall_gap_input_checks():
    groups, clusters = ["a", "b", "a"], [0, 1, 2]
    with pytest.raises(InvalidInputError, match="one flag per face"):
        recall_gap_table({"d": [True, False]}, groups, clusters, high="a", low="b")
    with pytest.raises(InvalidInputError, match="Both groups need faces"):
        recall_gap_table({"d": [True] * 3}, groups, clusters, high="a", low="c")
    with pytest.raises(InvalidInputError, match="reference"):
        recall_gap_table({"d": [True] * 3}, groups, clusters, high="a", low="b", reference="x")


# --- the verdict ----------------------------------------------------------------------------------


def _bench_table():
    return pd.DataFrame(
        {
            "ap_easy": [0.46, 0.80, 0.65, 0.88, 0.91, 0.30],
            "ap_medium": [0.40, 0.75, 0.43, 0.853, 0.860, 0.20],
            "ap_hard": [0.17, 0.45, 0.17, 0.69, 0.67, 0.12],
            "ms_640x480": [73.0, 169.0, 22.0, 9.0, 11.0, 1500.0],
        },
        index=["haar", "mtcnn", "ssd", "yunet", "retinaface", "dlib_mmod"],
    )


def _operating(table):
    return {
        n: {"threshold": 0.5 + i / 100, "f1": 0.8, "precision": 0.9, "recall": 0.7}
        for i, n in enumerate(table.index)
    }


def test_the_rule_takes_the_faster_of_a_tie_and_respects_the_budget():
    table = _bench_table()
    verdict = choose_detector(table, _operating(table), max_ms=50, tie=0.01)
    assert verdict["chosen"] == "yunet" and verdict["runner_up"] == "retinaface"
    assert verdict["threshold"] == 0.53
    assert list(verdict["eligible"].index) == ["retinaface", "yunet", "ssd"]
    assert choose_detector(table, _operating(table), tie=0.001)["chosen"] == "retinaface"
    # MTCNN is best once the budget admits it, unless it is excluded
    slow = choose_detector(table, _operating(table), max_ms=2000, tie=0.0, exclude=())
    assert slow["chosen"] == "retinaface"
    with pytest.raises(InvalidInputError, match="under 5 ms"):
        choose_detector(table, _operating(table), max_ms=5)


def _gaps(haar_gap, others_gap, resolved):
    names = ["haar", "mtcnn", "ssd", "yunet", "retinaface"]
    gap = [haar_gap] + [others_gap] * 4
    return pd.DataFrame(
        {
            "faces_high": 900,
            "faces_low": 107,
            "gap": gap,
            "gap_low": [g - 0.1 for g in gap],
            "gap_high": [g + 0.1 for g in gap],
            "gap_resolved": [resolved] * 5,
            "minus_reference": [g - haar_gap for g in gap],
            "minus_reference_low": [g - haar_gap - 0.05 for g in gap],
            "minus_reference_high": [g - haar_gap + 0.05 for g in gap],
        },
        index=names,
    )


def _size_rows():
    recall = {"haar": 0.04, "mtcnn": 0.26, "ssd": 0.0, "yunet": 0.32, "retinaface": 0.24}
    return {
        n: pd.DataFrame(
            {"faces": [100, 100, 50], "found": [0, int(200 * r), 40]},
            index=["10-20", "20-40", "40-80"],
        ).assign(found=lambda t, r=r: [int(100 * r), int(100 * r), 40])
        for n, r in recall.items()
    }


def test_claims_in_numbers_and_words():
    table = _bench_table().drop(index="dlib_mmod")
    claims = original_study_claims(
        table, _size_rows(), _gaps(0.14, 0.07, False), _gaps(0.44, 0.3, True)
    )
    assert not claims["ssd_best_of_three"] and claims["best_medium_of_three"] == "mtcnn"
    assert claims["ssd_rank_medium"] == 4 and claims["detectors"] == 5
    assert claims["mtcnn_best_of_three_small"] and claims["best_small"] == "yunet"
    assert claims["tone"]["faces_low"] == 107 and claims["tone"]["others_median"] == 0.07
    assert claims["pose"]["haar_larger_resolved"] == 4  # every other gap resolvably smaller
    words = claims_text(claims)
    assert words["claim1"].startswith("does not hold") and "ranks 4 of 5" in words["claim1"]
    assert words["claim2"].startswith("holds against Haar") and "yunet" in words["claim2"]
    assert "+0.14 (95% interval +0.04 to +0.24)" in words["claim3"]
    assert "cannot resolve this gap" in words["claim3"] and "107 faces" in words["claim3"]
    table.loc["ssd", ["ap_easy", "ap_medium"]] = 0.95
    claims = original_study_claims(table, _size_rows(), _gaps(0.14, 0.07, True), _gaps(0, 0, 0))
    words = claims_text(claims)
    assert words["claim1"].startswith("holds among the three") and "ranks 1 of 5" in words["claim1"]
    assert "the data resolve this gap" in words["claim3"]
