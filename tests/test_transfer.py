"""Cross-validation on subject folds: the folds, the fold runner, ensembles and paired tests."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import wilcoxon
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from emostudy.data import CKPLUS_CLASSES, FER_CLASSES, FaceSet
from emostudy.errors import InvalidInputError
from emostudy.transfer import (
    CVResult,
    InnerSelected,
    ckplus_mapping,
    compare_folds,
    cross_validate,
    ensemble,
    feature_layers,
    make_folds,
    methods_table,
    per_class_recall,
    shared_class_scores,
    subject_interval,
    subjects_shared,
)

N_CLASSES = 3
CLASSES = ("a", "b", "c")


def subject_faceset(n_subjects=24, per_subject=4, seed=0) -> FaceSet:
    """Images of ``n_subjects`` people, several per person, labels spread over 3 classes."""
    rng = np.random.default_rng(seed)
    subjects = np.repeat([f"S{i:03d}" for i in range(n_subjects)], per_subject)
    labels = np.tile(np.arange(per_subject) % N_CLASSES, n_subjects)
    images = rng.integers(0, 256, size=(len(labels), 48, 48, 1), dtype=np.uint8)
    meta = pd.DataFrame({"usage": "all", "source": [f"x{i}" for i in range(len(labels))]})
    meta["subject"] = subjects
    return FaceSet(images, labels.astype(np.int64), CLASSES, meta, "toy")


def separable_features(labels, seed=0, noise=0.3):
    """Features whose first columns encode the label (plus noise): an easy task."""
    rng = np.random.default_rng(seed)
    return np.eye(N_CLASSES)[labels] * 2 + rng.normal(0, noise, (len(labels), N_CLASSES))


class PositionSpy:
    """A method whose inputs are image positions: records what it was trained on, predicts class
    0 for even positions and the true label otherwise (known from a lookup)."""

    fitted: list[np.ndarray] = []

    def __init__(self, labels, setting=0):
        self.labels = labels
        self.setting = setting

    def __repr__(self):
        return f"PositionSpy(setting={self.setting})"

    def fit(self, positions, labels, *, groups=None):
        PositionSpy.fitted.append(np.asarray(positions).copy())
        assert np.array_equal(labels, self.labels[positions])
        return self

    def predict_proba(self, positions):
        guess = np.where(positions % 2 == 0, 0, self.labels[positions])
        return np.eye(N_CLASSES)[guess]


def test_subject_folds_never_split_a_subject_and_test_each_image_once():
    faceset = subject_faceset()
    folds = make_folds(faceset, n_splits=4, seed=1)
    assert len(folds) == 4
    assert subjects_shared(folds, faceset.meta["subject"].to_numpy()) == [[], [], [], []]
    tested = np.sort(np.concatenate([test for _, test in folds]))
    np.testing.assert_array_equal(tested, np.arange(len(faceset)))
    for train, test in folds:
        assert np.intersect1d(train, test).size == 0
        assert len(train) + len(test) == len(faceset)


def test_folds_are_reproducible_from_the_seed_and_differ_across_seeds():
    faceset = subject_faceset()
    a, b = make_folds(faceset, n_splits=4, seed=3), make_folds(faceset, n_splits=4, seed=3)
    assert all(np.array_equal(x[1], y[1]) for x, y in zip(a, b, strict=True))
    c = make_folds(faceset, n_splits=4, seed=4)
    assert not all(np.array_equal(x[1], y[1]) for x, y in zip(a, c, strict=True))


def test_leaky_folds_put_test_subjects_into_training():
    faceset = subject_faceset()
    folds = make_folds(faceset, n_splits=4, seed=0, grouped=False)
    shared = subjects_shared(folds, faceset.meta["subject"].to_numpy())
    assert all(len(s) > 0 for s in shared)


def test_fold_count_larger_than_the_smallest_class_is_refused_by_name():
    faceset = subject_faceset()
    smallest = faceset.subset(np.flatnonzero(faceset.labels != 2)[:-30])  # fewer 'b' images
    counts = np.bincount(smallest.labels, minlength=3)
    with pytest.raises(InvalidInputError, match=r"smallest class \(\w\) has \d+ images"):
        make_folds(smallest, n_splits=int(counts[counts > 0].min()) + 1)
    with pytest.raises(InvalidInputError, match="n_splits"):
        make_folds(faceset, n_splits=1)


def test_the_fold_runner_trains_on_the_training_side_only_and_its_numbers_add_up():
    faceset = subject_faceset()
    folds = make_folds(faceset, n_splits=4, seed=0)
    labels = faceset.labels
    PositionSpy.fitted = []
    result = cross_validate(
        lambda: PositionSpy(labels),
        np.arange(len(labels)),
        labels,
        folds,
        name="spy",
        classes=CLASSES,
    )
    for seen, (train, _) in zip(PositionSpy.fitted, folds, strict=True):
        np.testing.assert_array_equal(seen, train)
    # known answer: odd positions always right, even ones right only for class 0
    correct = (np.arange(len(labels)) % 2 == 1) | (labels == 0)
    expected = [correct[test].mean() for _, test in folds]
    np.testing.assert_allclose(result.fold_accuracy, expected)
    summary = result.summary()
    assert summary["mean_accuracy"] == pytest.approx(np.mean(summary["folds"]))
    assert summary["std_accuracy"] == pytest.approx(np.std(summary["folds"], ddof=1))
    assert summary["pooled_accuracy"] == pytest.approx(correct.mean())
    confusion = np.array(summary["confusion"])
    assert confusion.sum() == len(labels) and np.trace(confusion) == correct.sum()
    assert summary["per_class_recall"]["a"] == pytest.approx(1.0)
    assert summary["seconds_per_fold"] >= 0
    assert summary["training_accuracy"] is None  # not asked for


def test_the_fold_runner_scores_the_training_side_when_asked(tmp_path):
    faceset = subject_faceset()
    folds = make_folds(faceset, n_splits=4, seed=0)
    labels = faceset.labels
    positions = np.arange(len(labels))
    correct = (positions % 2 == 1) | (labels == 0)
    expected = [correct[train].mean() for train, _ in folds]
    for _ in range(2):  # computed, then read back from the cache
        result = cross_validate(
            lambda: PositionSpy(labels),
            positions,
            labels,
            folds,
            name="spy",
            classes=CLASSES,
            cache_dir=tmp_path,
            score_training=True,
        )
        np.testing.assert_allclose(result.training_accuracy, expected)
        assert result.summary()["training_accuracy"] == pytest.approx(expected)


def test_the_fold_runner_reuses_a_finished_record_from_its_cache(tmp_path):
    faceset = subject_faceset()
    folds = make_folds(faceset, n_splits=4, seed=0)
    labels = faceset.labels
    PositionSpy.fitted = []
    args = (np.arange(len(labels)), labels, folds)
    first = cross_validate(
        lambda: PositionSpy(labels), *args, name="Spy run", classes=CLASSES, cache_dir=tmp_path
    )
    assert (tmp_path / "spy-run.npz").is_file() and len(PositionSpy.fitted) == 4
    again = cross_validate(
        lambda: PositionSpy(labels), *args, name="Spy run", classes=CLASSES, cache_dir=tmp_path
    )
    assert len(PositionSpy.fitted) == 4  # nothing refitted
    np.testing.assert_array_equal(again.probabilities, first.probabilities)
    other_folds = make_folds(faceset, n_splits=4, seed=9)
    cross_validate(
        lambda: PositionSpy(labels),
        args[0],
        labels,
        other_folds,
        name="Spy run",
        classes=CLASSES,
        cache_dir=tmp_path,
    )
    assert len(PositionSpy.fitted) == 8  # other folds: run again
    cross_validate(
        lambda: PositionSpy(labels, setting=1),
        *args,
        name="Spy run",
        classes=CLASSES,
        cache_dir=tmp_path,
    )
    assert len(PositionSpy.fitted) == 12  # another setting of the method: run again


def test_the_fold_runner_refuses_inputs_that_do_not_match():
    faceset = subject_faceset()
    folds = make_folds(faceset, n_splits=4, seed=0)
    labels = faceset.labels
    x = np.arange(len(labels))
    with pytest.raises(InvalidInputError, match="labels must have shape"):
        cross_validate(
            lambda: PositionSpy(labels), x, labels[:-1], folds, name="s", classes=CLASSES
        )
    with pytest.raises(InvalidInputError, match="other data"):
        cross_validate(
            lambda: PositionSpy(labels[:40]), x[:40], labels[:40], folds, name="s", classes=CLASSES
        )
    with pytest.raises(InvalidInputError, match="one row per image"):
        cross_validate(
            lambda: PositionSpy(labels),
            {"a": x, "b": x[:-1]},
            labels,
            folds,
            name="s",
            classes=CLASSES,
        )

    class WrongWidth(PositionSpy):
        def predict_proba(self, positions):
            return np.ones((len(positions), 2))

    with pytest.raises(InvalidInputError, match="predict_proba returned shape"):
        cross_validate(lambda: WrongWidth(labels), x, labels, folds, name="s", classes=CLASSES)


def test_inner_selection_picks_the_informative_feature_set_inside_the_training_side():
    faceset = subject_faceset(n_subjects=30)
    labels = faceset.labels
    groups = faceset.meta["subject"].to_numpy()
    rng = np.random.default_rng(0)
    inputs = {"noise": rng.normal(size=(len(labels), 5)), "signal": separable_features(labels)}
    folds = make_folds(faceset, n_splits=3, seed=0)
    result = cross_validate(
        lambda: InnerSelected(
            make_pipeline(StandardScaler(), LogisticRegression()),
            {"logisticregression__C": [0.1, 1.0]},
            n_classes=N_CLASSES,
        ),
        inputs,
        labels,
        folds,
        name="selected",
        classes=CLASSES,
        groups=groups,
    )
    assert [d["features"] for d in result.details] == ["signal"] * 3
    assert all(d["logisticregression__C"] in (0.1, 1.0) for d in result.details)
    assert result.mean_accuracy > 0.9
    np.testing.assert_allclose(result.probabilities.sum(axis=1), 1.0)


def test_inner_selection_needs_the_subjects():
    method = InnerSelected(LogisticRegression(), {"C": [1.0]}, n_classes=N_CLASSES)
    with pytest.raises(InvalidInputError, match="groups"):
        method.fit(np.zeros((6, 2)), np.array([0, 1, 2, 0, 1, 2]))


def fixed_result(name, labels, folds, predictions):
    return CVResult(
        name,
        CLASSES,
        labels,
        folds,
        np.eye(N_CLASSES)[predictions].astype(float),
        np.full(len(folds), 2.0),
    )


def test_ensemble_averages_probabilities_on_the_same_folds():
    faceset = subject_faceset()
    folds = make_folds(faceset, n_splits=4, seed=0)
    labels = faceset.labels
    a = fixed_result("a", labels, folds, labels)
    b = fixed_result("b", labels, folds, np.zeros_like(labels))
    both = ensemble([a, b])
    assert both.name == "a + b"
    np.testing.assert_allclose(both.probabilities, (a.probabilities + b.probabilities) / 2)
    np.testing.assert_allclose(both.seconds, 4.0)
    other = fixed_result("c", labels, make_folds(faceset, n_splits=4, seed=5), labels)
    with pytest.raises(InvalidInputError, match="same folds"):
        ensemble([a, other])


def test_compare_folds_is_scipys_wilcoxon_on_fold_accuracies():
    faceset = subject_faceset(n_subjects=40)
    folds = make_folds(faceset, n_splits=8, seed=0)
    labels = faceset.labels
    rng = np.random.default_rng(1)
    noisy = np.where(rng.random(len(labels)) < 0.3, (labels + 1) % 3, labels)
    worse = np.where(rng.random(len(labels)) < 0.6, (labels + 1) % 3, labels)
    a, b = fixed_result("a", labels, folds, noisy), fixed_result("b", labels, folds, worse)
    test = compare_folds(a, b)
    expected = wilcoxon(a.fold_accuracy, b.fold_accuracy)
    assert test["p_value"] == pytest.approx(expected.pvalue)
    assert test["wins"] + test["ties"] + test["losses"] == 8
    assert test["mean_difference"] == pytest.approx(a.mean_accuracy - b.mean_accuracy)
    assert compare_folds(a, a)["p_value"] == 1.0


def test_tables_list_methods_in_order_with_their_numbers():
    faceset = subject_faceset()
    folds = make_folds(faceset, n_splits=4, seed=0)
    labels = faceset.labels
    a = fixed_result("a", labels, folds, labels)
    b = fixed_result("b", labels, folds, np.zeros_like(labels))
    table = methods_table([a, b])
    assert list(table.index) == ["a", "b"]
    assert table.loc["a", "mean_accuracy"] == 1.0 and table.loc["a", "macro_f1"] == 1.0
    assert table.loc["b", "seconds_per_fold"] == 2.0
    recall = per_class_recall([a, b])
    assert list(recall.columns) == list(CLASSES)
    assert recall.loc["b"].tolist() == [1.0, 0.0, 0.0]


def test_shared_class_scores_map_fer_predictions_onto_ckplus_classes():
    labels = np.array([CKPLUS_CLASSES.index(c) for c in ("anger", "contempt", "happiness", "fear")])
    scores = np.zeros((4, 7))
    scores[0, FER_CLASSES.index("angry")] = 1  # right
    scores[1, FER_CLASSES.index("happy")] = 1  # contempt: dropped
    scores[2, FER_CLASSES.index("neutral")] = 5  # neutral is not shared: next best counts
    scores[2, FER_CLASSES.index("happy")] = 1  # right
    scores[3, FER_CLASSES.index("surprise")] = 1  # wrong
    metrics = shared_class_scores(
        scores, labels, score_classes=FER_CLASSES, label_classes=CKPLUS_CLASSES
    )
    assert metrics["dropped"] == 1 and metrics["n"] == 3
    assert metrics["accuracy"] == pytest.approx(2 / 3)
    assert list(metrics["per_class"]) == [
        "anger",
        "disgust",
        "fear",
        "happiness",
        "sadness",
        "surprise",
    ]
    assert metrics["per_class"]["fear"]["recall"] == 0.0
    # the reverse direction: a CK+ model scored on FER-2013 labels
    fer_labels = np.array([FER_CLASSES.index("sad"), FER_CLASSES.index("neutral")])
    ck_scores = np.zeros((2, 7))
    ck_scores[:, CKPLUS_CLASSES.index("sadness")] = 1
    reverse = shared_class_scores(
        ck_scores, fer_labels, score_classes=CKPLUS_CLASSES, label_classes=FER_CLASSES
    )
    assert reverse["dropped"] == 1 and reverse["accuracy"] == 1.0
    with pytest.raises(InvalidInputError, match="shape"):
        shared_class_scores(
            scores[:, :3], labels, score_classes=FER_CLASSES, label_classes=CKPLUS_CLASSES
        )


def test_ckplus_mapping_covers_contempt_only_for_a_model_that_has_it():
    six = ckplus_mapping(FER_CLASSES)
    assert "contempt" not in six and len(six) == 6
    assert six["happiness"] == "happy" and six["anger"] == "angry"
    ferplus = (*FER_CLASSES, "contempt")
    seven = ckplus_mapping(ferplus)
    assert list(seven) == list(CKPLUS_CLASSES) and seven["contempt"] == "contempt"
    # all seven CK+ classes scored; neutral is never predicted, contempt is
    labels = np.array([CKPLUS_CLASSES.index(c) for c in ("contempt", "anger")])
    scores = np.zeros((2, 8))
    scores[0, ferplus.index("neutral")] = 5  # not a CK+ class: the next best counts
    scores[0, ferplus.index("contempt")] = 1
    scores[1, ferplus.index("contempt")] = 1  # wrong
    metrics = shared_class_scores(
        scores, labels, score_classes=ferplus, label_classes=CKPLUS_CLASSES, mapping=seven
    )
    assert metrics["dropped"] == 0 and metrics["accuracy"] == 0.5
    assert metrics["per_class"]["contempt"]["recall"] == 1.0
    with pytest.raises(InvalidInputError, match="No CK"):
        ckplus_mapping(["cat", "dog"])


def test_feature_layers_offers_the_known_layers_else_the_penultimate():
    from emostudy._quiet import import_keras

    keras = import_keras()
    inputs = keras.Input((4, 4, 1))
    x = keras.layers.Conv2D(2, 3, name="conv")(inputs)
    x = keras.layers.GlobalAveragePooling2D(name="global_average_pooling2d")(x)
    model = keras.Model(inputs, keras.layers.Dense(3, name="logits")(x))
    assert feature_layers(model) == ("global_average_pooling2d",)
    x = keras.layers.Flatten(name="flat")(keras.layers.Conv2D(2, 3, name="conv")(inputs))
    other = keras.Model(inputs, keras.layers.Dense(3, name="logits")(x))
    assert feature_layers(other) == ("flat",)
    assert feature_layers(other, candidates=("conv", "missing")) == ("conv",)


def test_subject_interval_resamples_whole_subjects():
    labels = np.zeros(40, dtype=np.int64)
    folds = [(np.arange(20, 40), np.arange(20)), (np.arange(20), np.arange(20, 40))]

    def result_with(correct):
        probabilities = np.zeros((40, 2))
        probabilities[np.arange(40), np.where(correct, 0, 1)] = 1.0
        return CVResult("m", ("a", "b"), labels, folds, probabilities, np.ones(2))

    subjects = np.repeat(np.arange(10), 4)
    clustered = np.ones(40, dtype=bool)
    clustered[:8] = False  # two subjects wrong on every image
    spread = np.ones(40, dtype=bool)
    spread[::5] = False  # the same 8 errors, one or two per subject
    a = subject_interval(result_with(clustered), subjects, n_boot=500, seed=1)
    b = subject_interval(result_with(spread), subjects, n_boot=500, seed=1)
    assert a["accuracy"] == b["accuracy"] == pytest.approx(0.8)
    assert a["low"] <= 0.8 <= a["high"] and b["low"] <= 0.8 <= b["high"]
    assert a["high"] - a["low"] > b["high"] - b["low"]  # clustered errors: less information
    assert a == subject_interval(result_with(clustered), subjects, n_boot=500, seed=1)
    perfect = subject_interval(result_with(np.ones(40, dtype=bool)), subjects)
    assert perfect["low"] == perfect["high"] == 1.0 and perfect["n_subjects"] == 10
    with pytest.raises(InvalidInputError, match="one subject per image"):
        subject_interval(result_with(spread), subjects[:5])
