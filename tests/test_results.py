"""Result tables: plain JSON with the run's metadata."""

import numpy as np

from emostudy.results import load_results, save_results


def test_round_trip_with_numpy_values(tmp_path):
    table = {"accuracy": np.float32(0.5), "counts": np.arange(3), "nested": {"n": np.int64(7)}}
    path = save_results("demo", table, tmp_path / "out", profile="quick", seed=3)
    assert path == tmp_path / "out" / "demo.json"
    loaded = load_results("demo", tmp_path / "out")
    assert loaded["profile"] == "quick" and loaded["seed"] == 3
    assert loaded["results"] == {"accuracy": 0.5, "counts": [0, 1, 2], "nested": {"n": 7}}


def test_every_table_records_the_processor_that_measured_it(tmp_path):
    from emostudy.timing import cpu_description

    save_results("demo", {"ms": 1.0}, tmp_path, profile="quick", seed=0)
    cpu = load_results("demo", tmp_path)["cpu"]
    assert cpu == cpu_description()
    assert cpu["model"] and cpu["cores"] >= 1 and isinstance(cpu["simd_flags"], list)
