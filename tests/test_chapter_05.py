"""Chapter 5 (Haar cascades): the numbers its quick run must reproduce."""

import pytest

from emostudy.book import load_results


@pytest.mark.notebook
def test_haar_cascades_chapter_numbers(quick_run):
    _, results_dir = quick_run("05_haar_cascades")
    table = load_results("haar_cascades", results_dir)["results"]
    # the NumPy integral image and four look-ups are exact
    assert table["integral_image"]["max_abs_difference_vs_cv2"] == 0
    assert table["integral_image"]["max_abs_difference_rect_sums"] == 0
    assert sum(table["features_in_24x24_window"].values()) == 162_336
    assert table["cascade"]["stages"] == 25 and table["cascade"]["weak_classifiers"] == 2913
    stats = table["cascade_statistics"]
    # stage 1 keeps most face windows and rejects a large share of the background
    assert stats["stage1_face_pass"] > 0.8 and stats["stage1_background_pass"] < 0.8
    assert stats["final_background_pass"] < 0.01 < stats["final_face_window_pass"]
    assert stats["mean_stumps_per_background_window"] < 2913 / 10  # the cascade's speed-up
    sweep = {(r["scale_factor"], r["min_neighbors"]): r for r in table["sweep"]}
    # grouping raises precision, a coarser pyramid is faster
    assert sweep[(1.1, 0)]["precision_hard"] < sweep[(1.1, 3)]["precision_hard"]
    assert sweep[(1.1, 12)]["recall_easy"] <= sweep[(1.1, 1)]["recall_easy"]
    assert sweep[(1.3, 3)]["ms_per_image"] < sweep[(1.1, 3)]["ms_per_image"]
    assert table["default"]["ap_easy"] > 0.1
    # the photos are chosen by index: the defaults are the study set's photo_57 for the scan
    scan = table["scan"]
    assert scan["group_photo"] == "photo_57.jpg"
    assert 1 <= scan["faces_group_photo"] <= scan["raw_windows_group_photo"]
