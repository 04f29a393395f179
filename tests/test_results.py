"""Result tables: plain JSON with the run's metadata."""

import numpy as np

from emostudy.book import load_results, save_results


def test_round_trip_with_numpy_values(tmp_path):
    table = {"accuracy": np.float32(0.5), "counts": np.arange(3), "nested": {"n": np.int64(7)}}
    path = save_results("demo", table, tmp_path / "out", profile="quick", seed=3)
    assert path == tmp_path / "out" / "demo.json"
    loaded = load_results("demo", tmp_path / "out")
    assert loaded["profile"] == "quick" and loaded["seed"] == 3
    assert loaded["results"] == {"accuracy": 0.5, "counts": [0, 1, 2], "nested": {"n": 7}}


def test_every_table_records_the_processor_that_measured_it(tmp_path):
    from emostudy.hardware import cpu_description

    save_results("demo", {"ms": 1.0}, tmp_path, profile="quick", seed=0)
    cpu = load_results("demo", tmp_path)["cpu"]
    assert cpu == cpu_description()
    assert cpu["model"] and cpu["cores"] >= 1 and isinstance(cpu["simd_flags"], list)


def test_tables_recording_cpu_counts_chapter_tables_and_skips_other_files(tmp_path):
    import json

    from emostudy.book import tables_recording_cpu

    save_results("new", {"ms": 1.0}, tmp_path, profile="quick", seed=0)
    old = {"name": "old", "profile": "full", "seed": 0, "results": {"ms": 2.0}}
    (tmp_path / "old.json").write_text(json.dumps(old))
    (tmp_path / "ledger.json").write_text(json.dumps({"about": "x", "entries": []}))
    (tmp_path / "notes.txt").write_text("not a table")
    counted = tables_recording_cpu(tmp_path)
    assert counted == {
        "n_tables": 2,
        "n_with_cpu": 1,
        "with_cpu": ["new"],
        "without_cpu": ["old"],
    }
    assert tables_recording_cpu(tmp_path / "empty")["n_tables"] == 0


def test_the_privatetest_ledger_appends_one_line_per_evaluation(tmp_path):
    import pytest

    from emostudy.book import load_privatetest_ledger, record_privatetest

    assert load_privatetest_ledger(tmp_path).empty
    for accuracy in (0.61, 0.62):
        record_privatetest(
            tmp_path,
            model="m",
            recipe="r",
            accuracy=accuracy,
            n_images=3589,
            why="report once",
            source="test",
            date="2026-12-05",
        )
    ledger = load_privatetest_ledger(tmp_path)
    assert list(ledger["accuracy"]) == [0.61, 0.62]
    assert set(ledger["date"]) == {"2026-12-05"} and set(ledger["n_images"]) == {3589}
    with pytest.raises(ValueError, match="fraction"):
        record_privatetest(
            tmp_path, model="m", recipe="r", accuracy=61.0, n_images=1, why="x", source="t"
        )
    with pytest.raises(ValueError, match="why"):
        record_privatetest(
            tmp_path, model="m", recipe="r", accuracy=0.6, n_images=1, why=" ", source="t"
        )
    assert len(load_privatetest_ledger(tmp_path)) == 2


def test_the_published_ledger_records_every_shipped_model_and_says_why():
    from pathlib import Path

    from emostudy.book import load_privatetest_ledger
    from emostudy.models import model_card, shipped_models

    ledger = load_privatetest_ledger(Path(__file__).parents[1] / "book" / "results")
    assert len(ledger) > 0 and ledger["why"].str.len().min() > 10
    assert ledger["accuracy"].between(0, 1).all()
    for name in shipped_models():
        metrics = model_card(name)["metrics"]
        if "PrivateTest" in metrics:
            recorded = metrics["PrivateTest"]["accuracy"]
        else:  # a FER+ model: its majority score (7 classes) is the ledger's line
            recorded = metrics["PrivateTest_flip_tta"]["majority7"]["accuracy"]
        assert np.isclose(ledger["accuracy"], recorded).any(), name


def test_the_ledger_says_what_each_line_scored_so_that_tasks_never_mix(tmp_path):
    import pytest

    from emostudy.book import ledger_scoring, load_privatetest_ledger, record_privatetest

    common = {"accuracy": 0.7, "why": "report once", "date": "2026-12-05"}
    record_privatetest(tmp_path, model="m", recipe="flip", n_images=3589, source="nb9", **common)
    record_privatetest(
        tmp_path,
        model="m, six classes",
        recipe="restricted to CK+'s six shared classes",
        n_images=2963,
        source="nb11 (backfilled from git 0307712)",
        **common,
    )
    record_privatetest(
        tmp_path,
        model="v5",
        recipe="flip; scored against FER+ ten-vote majority, 8 classes",
        n_images=3545,
        source="ship",
        **common,
    )
    record_privatetest(
        tmp_path, model="x", recipe="y", n_images=10, source="ship", n_classes=3, labels="toy",
        **common,
    )  # fmt: skip
    ledger = load_privatetest_ledger(tmp_path)
    assert list(ledger["n_classes"]) == [7, 6, 8, 3]
    assert list(ledger["labels"]) == ["FER-2013", "FER-2013", "FER+ majority", "toy"]
    assert list(ledger["source"]) == [
        "nb9 (7 classes, FER-2013 labels)",
        "nb11 (6 classes, FER-2013 labels)",
        "ship (8 classes, FER+ majority labels)",
        "ship (3 classes, toy labels)",
    ]
    assert list(ledger["written_by"]) == ["nb9", "nb11", "ship", "ship"]
    assert list(ledger["backfilled_from"]) == ["", "0307712", "", ""]
    # Grouping by source (as chapter 9's summary does) keeps the six-class line apart.
    assert ledger.groupby("source")["accuracy"].size().tolist() == [1, 1, 1, 1]
    # Entries written before the ledger recorded the task are read from their text.
    older = {"model": "v5", "recipe": "FER+ ten-vote majority, 7 shared classes"}
    assert ledger_scoring(older) == (7, "FER+ majority")
    assert ledger_scoring({"model": "v3", "recipe": "scored against FER-2013 labels"}) == (
        7,
        "FER-2013",
    )
    with pytest.raises(ValueError, match="n_classes"):
        record_privatetest(
            tmp_path, model="m", recipe="r", n_images=1, source="t", n_classes=1, **common
        )


def test_the_published_ledger_labels_chapter_11_and_the_ferplus_lines():
    from pathlib import Path

    from emostudy.book import load_privatetest_ledger

    ledger = load_privatetest_ledger(Path(__file__).parents[1] / "book" / "results")
    assert not ledger["source"].str.contains("backfilled").any()
    six = ledger[ledger["written_by"] == "notebooks/11_transfer_learning.ipynb"]
    assert len(six) and set(six["n_classes"]) == {6}
    chapter9 = ledger[ledger["written_by"] == "notebooks/09_emotion_cnns.ipynb"]
    assert set(chapter9["n_classes"]) == {7} and set(chapter9["labels"]) == {"FER-2013"}
    majority = ledger[ledger["labels"] == "FER+ majority"]
    assert set(majority["n_classes"]) == {7, 8}
