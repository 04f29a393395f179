"""Multi-worker training: TF_CONFIG parsing, and two real workers on localhost."""

import json

import keras
import numpy as np
import pytest

from emostudy.errors import InvalidInputError, SettingsError
from emostudy.training import is_chief, launch_local_workers, tf_config_task, worker_out_dir

CLUSTER = {"cluster": {"worker": ["localhost:1", "localhost:2"]}}


def test_without_tf_config_this_process_is_a_lone_chief(monkeypatch, tmp_path):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert tf_config_task() is None and is_chief()
    assert worker_out_dir(tmp_path) == tmp_path


def test_tf_config_names_the_task_and_its_run_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("TF_CONFIG", json.dumps({**CLUSTER, "task": {"type": "worker", "index": 1}}))
    assert tf_config_task() == ("worker", 1) and not is_chief()
    assert worker_out_dir(tmp_path) == tmp_path / "worker-1"
    monkeypatch.setenv("TF_CONFIG", json.dumps({**CLUSTER, "task": {"type": "worker", "index": 0}}))
    assert is_chief() and worker_out_dir(tmp_path) == tmp_path


@pytest.mark.parametrize(
    "raw",
    ["{not json", json.dumps({**CLUSTER, "task": {"type": "worker", "index": 5}}), "[1, 2]"],
)
def test_a_malformed_tf_config_is_named(monkeypatch, raw):
    monkeypatch.setenv("TF_CONFIG", raw)
    with pytest.raises(SettingsError, match="TF_CONFIG is not a valid cluster"):
        tf_config_task()


def test_a_cluster_needs_two_workers():
    with pytest.raises(InvalidInputError, match="at least 2"):
        launch_local_workers(["-c", "pass"], n_workers=1)


@pytest.mark.needs_data
def test_two_workers_train_the_same_command_to_identical_weights(tmp_path):
    import emostudy.models.layers  # noqa: F401  (registers the custom layers for loading)

    runs = launch_local_workers(
        [
            "-m",
            "emostudy",
            "headline",
            "train",
            "--profile",
            "quick",
            "--epochs",
            "1",
            "--precision",
            "float32",
            "--out",
            str(tmp_path),
        ],
        timeout=600,
    )
    for run in runs:
        assert run.returncode == 0, run.output[-3000:]
    chief = keras.models.load_model(tmp_path / "model.keras", compile=False)
    other = keras.models.load_model(tmp_path / "worker-1" / "model.keras", compile=False)
    for ours, theirs in zip(chief.weights, other.weights, strict=True):
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=ours.path)
    log = (tmp_path / "log.csv").read_text().splitlines()
    assert len(log) == 2  # header and the one epoch
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["n_train"] > 0
