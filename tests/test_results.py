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
