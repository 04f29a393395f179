"""Named training variants on the synthetic faces: the tidy table, histories and nested subsets."""

import numpy as np
import pandas as pd
import pytest
from scipy.special import logsumexp

from emostudy.data import make_synthetic_faces
from emostudy.errors import InvalidInputError
from emostudy.evaluation import mcnemar
from emostudy.models import build_cnn, build_mlp, predict_logits, to_model_input
from emostudy.training import (
    TrainConfig,
    Variant,
    accuracy_of,
    changes_between_runs,
    describe_changes_between_runs,
    describe_paired_tests,
    paired_test_verdicts,
    paired_tests,
    run_variants,
    stratified_prefix_order,
)
from emostudy.training.experiments import TABLE_COLUMNS, TRAIN_EVAL_COLUMN, VAL_CROSSENTROPY_COLUMN


@pytest.fixture(scope="module")
def faces():
    data = make_synthetic_faces(40, seed=3)
    train_set, val_set = data.where(usage="Training"), data.where(usage="PublicTest")
    order = stratified_prefix_order(train_set.labels, seed=0)
    return (
        (to_model_input(train_set.images)[order], train_set.labels[order]),
        (to_model_input(val_set.images), val_set.labels),
    )


@pytest.fixture(scope="module")
def experiment(faces):
    def small():
        return build_cnn(filters=(4,), dense=(8,), name="small")

    variants = {
        "plain": Variant(small, TrainConfig(epochs=3, batch_size=32)),
        "half": Variant(lambda: build_mlp(hidden=(16,)), TrainConfig(epochs=2), n_train=100),
        "stops": Variant(small, TrainConfig(epochs=4, early_stopping=1, monitor="val_loss")),
        "decay": Variant(lambda: build_mlp(hidden=(16,), l2=0.1), TrainConfig(epochs=2)),
    }
    lines = []
    result = run_variants(
        variants, *faces, train_eval_size=50, val_crossentropy=True, n_boot=200, log=lines.append
    )
    return result, lines


def test_table_has_one_tidy_row_per_variant(experiment, faces):
    result, lines = experiment
    table = result.table
    assert list(table.index) == ["plain", "half", "stops", "decay"]
    assert list(table.columns) == list(TABLE_COLUMNS[1:])
    assert len(lines) == 4 and lines[0].startswith("plain: ") and "best" in lines[0]
    assert max(len(line) for line in lines) < 100  # a notebook printout fits the page
    assert table.loc["plain", "n_train"] == len(faces[0][0])
    assert table.loc["half", "n_train"] == 100
    np.testing.assert_allclose(table["gap"], table["train_accuracy"] - table["val_accuracy"])
    assert (table["best_epoch"] >= 1).all() and (table["best_epoch"] <= table["epochs"]).all()
    assert table.loc["plain", "epochs"] == 3 and table.loc["half", "epochs"] == 2
    assert (table["val_ci_low"] <= table["val_accuracy"]).all()
    assert (table["val_accuracy"] <= table["val_ci_high"]).all()
    assert (table["seconds_per_epoch"] > 0).all()


def test_accuracies_are_those_of_the_kept_model(experiment, faces):
    result, _ = experiment
    (x, y), (xv, yv) = faces
    run = result.runs["half"]
    assert result.table.loc["half", "train_accuracy"] == accuracy_of(run.model, x[:100], y[:100])
    assert result.table.loc["half", "val_accuracy"] == np.mean(result.val_predictions["half"] == yv)
    assert result.table.loc["half", "val_accuracy"] == accuracy_of(run.model, xv, yv)


def test_training_accuracy_is_logged_every_epoch_in_inference_mode(experiment):
    result, _ = experiment
    for history in result.histories.values():
        assert TRAIN_EVAL_COLUMN in history.columns
        assert history[TRAIN_EVAL_COLUMN].between(0, 1).all()
    assert isinstance(result.runs["plain"].history, pd.DataFrame)
    assert len(result.runs["plain"].history) == 3


def test_validation_crossentropy_leaves_out_the_weight_penalty(experiment, faces):
    result, _ = experiment
    (_, _), (xv, yv) = faces
    for name in ("plain", "half"):  # no penalty: Keras' val_loss is the same cross-entropy
        history = result.histories[name]
        np.testing.assert_allclose(history[VAL_CROSSENTROPY_COLUMN], history["val_loss"], rtol=1e-4)
    decay = result.histories["decay"]
    assert (decay["val_loss"] > decay[VAL_CROSSENTROPY_COLUMN] + 0.01).all()  # penalty included
    # the kept (best-epoch) weights give back that epoch's logged value
    run = result.runs["decay"]
    logits = predict_logits(run.model, xv).astype(np.float64)
    expected = np.mean(logsumexp(logits, axis=1) - logits[np.arange(len(yv)), yv])
    assert decay[VAL_CROSSENTROPY_COLUMN][run.best_epoch] == pytest.approx(expected, rel=1e-5)


def test_no_train_accuracy_column_when_switched_off(faces):
    result = run_variants(
        {"mlp": Variant(lambda: build_mlp(hidden=(8,)), TrainConfig(epochs=1), n_train=60)},
        *faces,
        train_eval_size=0,
        log=None,
    )
    assert TRAIN_EVAL_COLUMN not in result.histories["mlp"].columns
    assert VAL_CROSSENTROPY_COLUMN not in result.histories["mlp"].columns


def test_bad_variants_are_refused(faces):
    with pytest.raises(InvalidInputError, match="at least one"):
        run_variants({}, *faces)
    with pytest.raises(InvalidInputError, match="Variant"):
        run_variants({"x": TrainConfig()}, *faces)
    with pytest.raises(InvalidInputError, match="n_train"):
        run_variants({"x": Variant(build_mlp, n_train=10**6)}, *faces)


def test_out_dir_keeps_one_folder_per_variant_and_reuses_finished_runs(faces, tmp_path):
    variants = {
        "no augmentation, 1/2": Variant(
            lambda: build_mlp(hidden=(8,)), TrainConfig(epochs=2, seed=5), n_train=80
        )
    }
    first = run_variants(variants, *faces, n_boot=50, log=None, out_dir=tmp_path)
    folder = tmp_path / "no_augmentation_1_2"
    assert {p.name for p in folder.iterdir()} >= {"best.keras", "log.csv", "config.json"}
    stamps = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    again = run_variants(variants, *faces, n_boot=50, log=None, out_dir=tmp_path)
    assert {
        p.name: p.stat().st_mtime_ns for p in folder.iterdir()
    } == stamps  # loaded, not retrained
    name = "no augmentation, 1/2"
    for result in (first, again):  # the per-epoch training accuracy reaches the CSV log
        assert result.histories[name][TRAIN_EVAL_COLUMN].between(0, 1).all()
    assert again.table.loc[name, "seconds"] == pytest.approx(first.histories[name]["seconds"].sum())
    np.testing.assert_array_equal(again.val_predictions[name], first.val_predictions[name])
    assert again.table.loc[name, "val_accuracy"] == first.table.loc[name, "val_accuracy"]
    assert again.table.loc[name, "best_epoch"] == first.table.loc[name, "best_epoch"]


def test_variants_sharing_a_folder_name_are_refused_only_with_out_dir(faces, tmp_path):
    clash = {
        "a b": Variant(lambda: build_mlp(hidden=(4,)), TrainConfig(epochs=1), n_train=40),
        "a_b": Variant(lambda: build_mlp(hidden=(4,)), TrainConfig(epochs=1), n_train=40),
    }
    with pytest.raises(InvalidInputError, match=r"share one folder.*rename"):
        run_variants(clash, *faces, log=None, out_dir=tmp_path)
    assert not any(tmp_path.iterdir())
    assert list(run_variants(clash, *faces, n_boot=10, log=None).table.index) == ["a b", "a_b"]


def test_paired_tests_compare_each_run_with_the_reference():
    y = np.array([0, 0, 1, 1, 2, 2, 2, 1])
    predictions = {
        "other": np.array([0, 1, 1, 1, 2, 0, 2, 1]),  # right on 0, 2, 3, 4, 6, 7
        "reference": np.array([0, 0, 1, 0, 0, 2, 2, 1]),  # right on 0, 1, 2, 5, 6, 7
        "worse": np.array([1, 0, 0, 0, 0, 2, 0, 1]),  # right on 1, 5, 7
    }
    table = paired_tests(y, predictions, "reference")
    assert list(table.index) == ["other", "worse"]
    assert list(table.columns) == ["accuracy", "change", "b", "c", "p_value"]
    assert table.loc["other", "accuracy"] == pytest.approx(6 / 8)
    assert table.loc["other", "change"] == pytest.approx(0.0)
    assert (table.loc["other", "b"], table.loc["other", "c"]) == (2, 2)  # {1, 5} and {3, 4}
    assert table.loc["worse", "change"] == pytest.approx(3 / 8 - 6 / 8)
    assert (table.loc["worse", "b"], table.loc["worse", "c"]) == (3, 0)  # {0, 2, 6}
    expected = mcnemar(y, predictions["reference"], predictions["worse"])["p_value"]
    assert table.loc["worse", "p_value"] == pytest.approx(expected)
    with pytest.raises(InvalidInputError, match="reference 'baseline' is not among"):
        paired_tests(y, predictions, "baseline")
    with pytest.raises(InvalidInputError, match=r"'short' have shape \(3,\).*same examples"):
        paired_tests(y, {**predictions, "short": y[:3]}, "reference")


def test_paired_tests_read_as_one_sentence_each():
    tests = pd.DataFrame(
        {"change": [0.005, -0.045, 0.02], "p_value": [0.42, 5.1e-8, 0.01]},
        index=["smoothing off", "augmentation off", "wider"],
    )
    assert describe_paired_tests(tests) == (
        "smoothing off: no detectable difference (+0.5%, p = 0.42); "
        "augmentation off: worse (-4.5%, p = 5.1e-08); wider: better (+2.0%, p = 0.01)"
    )
    assert describe_paired_tests(tests, confidence=0.995).endswith(
        "wider: no detectable difference (+2.0%, p = 0.01)"
    )
    with pytest.raises(InvalidInputError, match="confidence must be between 0 and 1"):
        describe_paired_tests(tests, confidence=5)


@pytest.mark.parametrize("seed", [0, 1])
def test_every_prefix_is_a_stratified_sample(seed):
    labels = np.repeat(np.arange(4), [500, 50, 300, 150])
    order = stratified_prefix_order(labels, seed=seed)
    assert sorted(order) == list(range(len(labels)))
    shares = np.bincount(labels) / len(labels)
    for n in (10, 57, 100, 333, 1000):
        counts = np.bincount(labels[order[:n]], minlength=4)
        assert np.all(np.abs(counts - n * shares) <= 1.0 + 1e-9), (n, counts)


def test_prefix_order_is_seeded_and_shuffles_within_classes():
    labels = np.repeat(np.arange(3), 20)
    a, b = stratified_prefix_order(labels, seed=0), stratified_prefix_order(labels, seed=0)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, stratified_prefix_order(labels, seed=1))
    first_of_class_0 = a[labels[a] == 0]
    assert not np.array_equal(first_of_class_0, np.arange(20))
    with pytest.raises(InvalidInputError, match="1-D"):
        stratified_prefix_order(np.zeros((2, 2)))


def test_changes_between_runs_pairs_variants_by_name():
    current = pd.DataFrame(
        {"val_accuracy": [0.60, 0.55, 0.50]}, index=pd.Index(["a", "b", "new"], name="variant")
    )
    saved = [  # a previous run's records, as a result table stores them
        {"variant": "b", "val_accuracy": 0.57},
        {"variant": "a", "val_accuracy": 0.61},
        {"variant": "dropped", "val_accuracy": 0.40},
    ]
    moves = changes_between_runs(saved, current)
    assert list(moves.index) == ["a", "b"]
    np.testing.assert_allclose(moves["previous"], [0.61, 0.57])
    np.testing.assert_allclose(moves["change"], [-0.01, -0.02])
    same = changes_between_runs(current, current)
    assert (same["change"] == 0).all() and len(same) == 3


def test_changes_between_runs_names_what_is_missing():
    current = pd.DataFrame({"val_accuracy": [0.6]}, index=pd.Index(["a"], name="variant"))
    with pytest.raises(InvalidInputError, match="share no variant"):
        changes_between_runs([{"variant": "z", "val_accuracy": 0.5}], current)
    with pytest.raises(InvalidInputError, match="no column 'gap'"):
        changes_between_runs(current, current, column="gap")
    with pytest.raises(InvalidInputError, match="'variant' key"):
        changes_between_runs([{"name": "a", "val_accuracy": 0.5}], current)


def test_paired_test_verdicts_follow_the_level_and_the_sign():
    tests = pd.DataFrame(
        {"change": [0.005, -0.045, 0.02], "p_value": [0.42, 5.1e-8, 0.01]},
        index=["smoothing off", "augmentation off", "wider"],
    )
    verdicts = paired_test_verdicts(tests)
    assert verdicts.to_dict() == {
        "smoothing off": "no detectable difference",
        "augmentation off": "worse",
        "wider": "better",
    }
    assert paired_test_verdicts(tests, confidence=0.995)["wider"] == "no detectable difference"
    with pytest.raises(InvalidInputError, match="confidence must be between 0 and 1"):
        paired_test_verdicts(tests, confidence=0)


def test_describe_changes_between_runs_gives_the_range_and_the_verdicts_that_changed():
    current = pd.DataFrame(
        {"val_accuracy": [0.565, 0.570, 0.528]},
        index=pd.Index(["recipe", "no smoothing", "no augmentation"], name="variant"),
    )
    previous = [
        {"variant": "recipe", "val_accuracy": 0.571},
        {"variant": "no smoothing", "val_accuracy": 0.576},
        {"variant": "no augmentation", "val_accuracy": 0.527},
    ]
    moves = changes_between_runs(previous, current)
    text = describe_changes_between_runs(moves)
    assert text == (
        "The 3 figures moved by -0.6 to +0.1 points (median absolute move 0.6); "
        "the largest move is recipe's (-0.6)."
    )
    before = pd.Series({"no smoothing": "no detectable difference", "no augmentation": "worse"})
    after = pd.Series({"no smoothing": "better", "no augmentation": "worse"})
    assert describe_changes_between_runs(
        moves, previous_verdicts=before, current_verdicts=after
    ).endswith("The verdict changed for no smoothing (from no detectable difference to better).")
    assert describe_changes_between_runs(
        moves, previous_verdicts=after, current_verdicts=after
    ).endswith("All 2 verdicts of the paired tests are the same.")
    same = describe_changes_between_runs(changes_between_runs(current, current))
    assert same == "All 3 figures repeat the earlier run's exactly."
