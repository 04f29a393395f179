"""Chapter 6 (learned face detectors): the numbers its quick run must reproduce."""

import pytest

from emostudy.book import load_results


@pytest.mark.notebook
def test_deep_face_detectors_chapter_numbers(quick_run):
    _, results_dir = quick_run("06_deep_face_detectors")
    table = load_results("deep_face_detectors", results_dir)["results"]
    assert table["hog"]["descriptor_length_64x128"] == 3780
    assert table["dlib_hog"]["filters"] == 5 and table["dlib_hog"]["window"] == [80, 80]
    study = table["dlib_hog"]["upsample_study"]
    # upsampling finds more of the small faces and costs more time
    assert study[2]["true_faces_found"] >= study[0]["true_faces_found"]
    assert study[2]["ms"] > study[0]["ms"]
    counts = table["mtcnn"]["stage_counts"]
    assert counts["P-Net"] > counts["R-Net"] >= counts["O-Net"] >= 1
    # our anchors equal the packages', our NMS equals OpenCV's
    assert table["anchors"]["blazeface_short"]["count"] == 896
    assert all(a["max_difference"] < 1e-6 for a in table["anchors"].values())
    assert table["nms"]["same_as_opencv"] and table["nms"]["before"] > table["nms"]["after"]
    assert [p["min_size"] for p in table["ssd_priors"]][0] == 30
    # photos are chosen by index into the sorted folder; the quick profile keeps the first two
    assert table["gallery"]["photos"] == ["photo_57.jpg", "photo_21.jpg"]
    assert table["gallery"]["median_relative_p10_p90_spread"] >= 0
    gallery = {row["detector"]: row for row in table["gallery"]["table"]}
    assert len(gallery) == 9
    # photo_57 shows three clear faces: the modern detectors find all three
    for name in ("yunet", "retinaface", "ssd", "mtcnn"):
        assert gallery[name]["photo_57"] == 3
    assert gallery["dlib_mmod"]["ms_median"] > gallery["yunet"]["ms_median"]
