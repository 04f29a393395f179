"""Chapter 12 (the recognizer): the table its quick run writes and the facts it must show."""

import json

import pytest

from emostudy.book import load_results
from emostudy.models import DEFAULT_EMOTION_MODEL, PARITY_TOLERANCE, model_classes


@pytest.mark.notebook
def test_recognizer_chapter_table(quick_run):
    notebook, results_dir = quick_run("12_recognizer")
    table = load_results("recognizer", results_dir)["results"]
    assert table["model"] == DEFAULT_EMOTION_MODEL

    study = table["crop_study"]
    assert study["split"] == "PublicTest" and study["model"] == DEFAULT_EMOTION_MODEL
    assert study["select_on"] == "FER+ majority"
    assert study["selection_metric"] == "majority_accuracy_found"
    assert 0 < study["faces_majority"] <= study["faces"]
    candidates = study["candidates"]
    assert len(candidates) == 2 * 2 * 2  # quick: two margins x square x align
    best = max(candidates, key=lambda row: row["majority_accuracy_found"])
    assert study["chosen"] == {k: best[k] for k in ("margin", "square", "align", "shift")}
    assert all(row["found"] == study["found"] for row in candidates)  # the crop cannot change it
    assert all(row["n"] == study["faces"] for row in candidates)
    assert all(row["majority_n"] == study["faces_majority"] for row in candidates)

    loop = table["privatetest_in_the_loop"]
    assert 0 < loop["faces_majority"] <= loop["faces"]
    for key in ("rows", "rows_majority"):
        rows = loop[key]
        assert set(rows) == {
            "ours, plain 48x48 faces",
            "ours + retinaface",
            "ours + retinaface, video setting",
            "ours + yunet",
            "fer package, plain 48x48 faces",
            "fer package pipeline (Haar)",
        }
        assert rows["ours, plain 48x48 faces"]["found"] == 1.0
        for name, row in rows.items():
            assert 0.0 <= row["found"] <= 1.0, name
            assert row["accuracy_end_to_end"] <= row["accuracy_found"] + 1e-12, name
            assert row["accuracy_end_to_end"] == pytest.approx(
                row["found"] * row["accuracy_found"], abs=1e-9
            )
    for key in ("mcnemar_fer_vs_ours_retinaface", "mcnemar_majority_fer_vs_ours_retinaface"):
        assert 0.0 <= loop[key]["p_value"] <= 1.0
    assert loop["mcnemar_majority_fer_vs_ours_retinaface"]["faces"] == loop["faces_majority"]

    probabilities = table["probabilities"]
    assert probabilities["model"] == DEFAULT_EMOTION_MODEL
    near = probabilities["bin_holding_0.8"]
    assert near["lower"] < 0.8 <= near["upper"]

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
    low, high = speed["frame_ms_p10_p90_one_face"]
    assert 0 < low <= high
    assert set(table["targets"]) == {
        "one-face frame <= 30 ms",
        "at least 2x faster than fer (video setting)",
        "higher detector-in-the-loop accuracy than fer (video setting)",
        "higher detector-in-the-loop accuracy than fer (default)",
        "higher detector-in-the-loop accuracy than fer, FER+ majority (default)",
    }

    video = table["video"]
    assert video["frames"] == 2 * 6 and video["tracks"] >= 1
    assert video["label_changes_smoothed"] <= video["label_changes_raw"]

    gallery = table["gallery"]
    assert gallery["photos"] == 6 and gallery["faces"] >= 6
    assert (
        gallery["model"] == DEFAULT_EMOTION_MODEL
        and gallery["before_model"] != DEFAULT_EMOTION_MODEL
    )
    # the class lists follow the models: every class of the default, nothing assumes seven
    assert list(gallery["emotions"]) == list(model_classes(DEFAULT_EMOTION_MODEL))
    assert sum(gallery["emotions"].values()) == sum(gallery["emotions_before"].values())
    assert sum(gallery["emotions"].values()) == gallery["faces"]
    assert table["chosen_detector"] == "retinaface" and table["chosen_engine"] == "onnx"

    limits = table["limitations"]
    intervals = limits["recall_intervals_wilson_95"]
    for group, recall in limits["retinaface_recall_by_skin_tone_40px"].items():
        low, high = intervals[group]
        assert low <= recall <= high
    assert all(row["low"] <= row["gap"] <= row["high"] for row in limits["gaps_bootstrap_95"])

    # the ledger of the quick run's folder holds both label sets' end-to-end accuracies
    ledger = json.loads((results_dir / "privatetest_ledger.json").read_text())["entries"]
    ledger = [e for e in ledger if e["source"] == "notebooks/12_recognizer.ipynb"]
    assert len(ledger) == 2 * 6
    assert sum("FER+ ten-vote majority" in e["recipe"] for e in ledger) == 6
    assert all(e["profile"] == "quick" for e in ledger)
