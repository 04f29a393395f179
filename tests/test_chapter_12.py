"""Chapter 12 (the recognizer): the table its quick run writes and the facts it must show."""

import pytest

from emostudy.book import load_results
from emostudy.models import PARITY_TOLERANCE


@pytest.mark.notebook
def test_recognizer_chapter_table(quick_run):
    _, results_dir = quick_run("12_recognizer")
    table = load_results("recognizer", results_dir)["results"]

    study = table["crop_study"]
    assert study["split"] == "PublicTest"
    candidates = study["candidates"]
    assert len(candidates) == 2 * 2 * 2  # quick: two margins x square x align
    best = max(candidates, key=lambda row: row["accuracy_found"])
    assert study["chosen"] == {k: best[k] for k in ("margin", "square", "align", "shift")}
    assert all(row["found"] == study["found"] for row in candidates)  # the crop cannot change it

    rows = table["privatetest_in_the_loop"]["rows"]
    assert rows["ours, plain 48x48 faces"]["found"] == 1.0
    for name, row in rows.items():
        assert 0.0 <= row["found"] <= 1.0, name
        assert row["accuracy_end_to_end"] <= row["accuracy_found"] + 1e-12, name
        assert row["accuracy_end_to_end"] == pytest.approx(
            row["found"] * row["accuracy_found"], abs=1e-9
        )

    for name, engine in table["engines"].items():
        assert engine["max |logit diff|"] < PARITY_TOLERANCE, name
        assert engine["same class"] == 1.0, name
        assert all(engine[f"{n} faces (ms)"] > 0 for n in (1, 5, 20))

    speed = table["speed"]
    for n in ("1", "5", "20"):
        assert speed["frame_ms_median"][n] > 0 and speed["fer_frame_ms_median"][n] > 0
    stages = speed["stage_ms"]["retinaface/1"]
    assert stages["total"] >= stages["detect"] + stages["classify"] - 1e-6
    assert stages["faces found"] == 1
    video = speed["stage_ms"]["retinaface, video setting/1"]
    assert video["faces found"] == 1
    assert set(table["targets"]) == {
        "one-face frame <= 30 ms",
        "at least 2x faster than fer (video setting)",
        "higher detector-in-the-loop accuracy than fer (video setting)",
        "higher detector-in-the-loop accuracy than fer (default)",
    }

    video = table["video"]
    assert video["frames"] == 2 * 6 and video["tracks"] >= 1
    assert video["label_changes_smoothed"] <= video["label_changes_raw"]
    assert table["gallery"]["photos"] == 6 and table["gallery"]["faces"] >= 6
    assert table["chosen_detector"] == "retinaface" and table["chosen_engine"] == "onnx"
