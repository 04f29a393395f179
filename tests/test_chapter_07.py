"""Chapter 7 (detector benchmark): the table it publishes and the numbers its quick run gives."""

import pytest

from emostudy.book import load_results
from emostudy.detectors import available_detectors


@pytest.mark.notebook
def test_detector_benchmark_table(quick_run):
    _, results_dir = quick_run("07_detector_benchmark")
    table = load_results("detectors", results_dir)["results"]
    entries = table["detectors"]
    assert list(entries) == available_detectors()
    for name, entry in entries.items():
        for key in ("settings", "ap_easy", "ap_medium", "ap_hard", "ms_per_image", "input_size"):
            assert key in entry, (name, key)
        assert entry["input_size"] == "640x480" and entry["images_evaluated"] >= 1
        for key in ("ap_easy", "ap_medium", "ap_hard"):
            assert 0.0 <= entry[key] <= 1.0
    # even on a handful of images the modern detectors lead, and the selfie model trails
    assert entries["yunet"]["ap_easy"] > 0.6 and entries["retinaface"]["ap_easy"] > 0.6
    assert entries["yunet"]["ap_hard"] > entries["haar"]["ap_hard"]
    assert entries["blazeface_short"]["ap_medium"] < entries["yunet"]["ap_medium"]
    # times are reported (the notebook is the benchmark), not asserted: only that they exist
    assert all(entry["ms_per_image"] > 0 for entry in entries.values())
    agreement = table["photos"]["pairwise_agreement"]
    assert all(abs(agreement[n][n] - 1.0) < 1e-9 for n in agreement)
    assert table["verdict"]["chosen"] in entries
    # the verdict's recall gaps carry bootstrap intervals around their point values
    for key in ("tone_gaps_40px", "pose_gaps_40px"):
        gaps = table["verdict"][key]
        assert "haar" in gaps and "dlib_mmod" not in gaps
        for row in gaps.values():
            assert row["gap_low"] <= row["gap"] + 1e-9 and row["gap"] <= row["gap_high"] + 1e-9
        assert gaps["haar"]["minus_reference"] == 0
    assert set(table["verdict"]["claims"]) >= {"tone", "pose", "ssd_best_of_three"}
    # only published figures a reader can check; the gallery photos join the agreement study
    assert "haar" not in table["published"]
    assert {"photo_03.jpg", "photo_44.jpg"} <= set(table["photos"]["files"])
