"""Training on the FER+ votes: views, the frozen trunk / trained head split, the assembled network
and the temperature baked into it, and which faces and targets a head learns from."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from emostudy.book.votes import (
    DEFAULT_CUT,
    INPUT_CUT,
    REPLACE_BELOW_P,
    HeadConfig,
    assemble_model,
    build_head,
    build_trunk,
    candidate_label,
    centre_and_flip,
    choose_candidate,
    crop_view,
    extract_features,
    flip_logits,
    frozen_blocks,
    incumbent_name,
    train_head,
    training_targets,
    training_views,
)
from emostudy.data import FER_CLASSES, FaceSet, FerPlusSet
from emostudy.errors import InvalidInputError
from emostudy.models import load_emotion_model, to_model_input


@pytest.fixture(scope="module")
def faces():
    return np.random.default_rng(0).integers(0, 256, (8, 48, 48, 1), dtype=np.uint8)


@pytest.fixture(scope="module")
def base():
    return load_emotion_model("fer2013_vgg_lite_v3")


def test_crop_view_matches_slicing_and_mirroring(faces):
    x = to_model_input(faces)
    out = crop_view(x, np.array([0, 4] * 4), np.array([3, 1] * 4), np.array([0, 1] * 4), 44)
    np.testing.assert_array_equal(out[0], x[0, 0:44, 3:47])
    np.testing.assert_array_equal(out[1], x[1, :, ::-1][4:48, 1:45])


def test_training_views_are_seeded_and_start_with_centre_and_mirror():
    views = training_views(5, n_random=3, seed=1)
    assert views.offsets.shape == (5, 5, 3) and views.per_image
    np.testing.assert_array_equal(views.offsets[:, 0], [[2, 2, 0]] * 5)
    np.testing.assert_array_equal(views.offsets[:, 1], [[2, 2, 1]] * 5)
    assert views.offsets[:, 2:, :2].min() >= 0 and views.offsets[:, 2:, :2].max() <= 4
    np.testing.assert_array_equal(views.offsets, training_views(5, n_random=3, seed=1).offsets)


@pytest.mark.parametrize(
    "cut, cut_shape, frozen",
    [
        (DEFAULT_CUT, (5, 5, 192), 3),
        ("max_pooling2d_1", (11, 11, 96), 2),
        (INPUT_CUT, (44, 44, 1), 0),
    ],
)
def test_an_untrained_head_reproduces_the_base_model(base, faces, cut, cut_shape, frozen):
    """Wherever the cut (after block 3, after block 2, or before any layer: a full fine-tune),
    the frozen trunk and the untrained head compute the base model's logits."""
    from emostudy.models import predict_logits

    x = to_model_input(faces)
    reference = predict_logits(base, x, tta="flip")
    head = build_head(base, 8, cut=cut)
    full = assemble_model(base, head, cut=cut, name="check")
    assert full.output_shape == (None, 8)
    assert frozen_blocks(base, cut) == frozen
    np.testing.assert_allclose(predict_logits(full, x, tta="flip")[:, :7], reference, atol=1e-5)
    trunk = build_trunk(base, cut=cut)
    features = extract_features(trunk, faces, centre_and_flip(), dtype="float32")
    assert features.shape == (8, 2, *cut_shape)
    np.testing.assert_allclose(flip_logits(head, features)[:, :7], reference, atol=1e-4)
    hot = assemble_model(base, head, temperature=2.5, cut=cut, name="check_t")
    np.testing.assert_allclose(
        predict_logits(hot, x, tta="flip"), predict_logits(full, x, tta="flip") / 2.5, atol=1e-6
    )
    with pytest.raises(InvalidInputError):
        assemble_model(base, head, temperature=0.0, name="bad")


def _votes():
    counts = np.array(
        [
            [7, 0, 0, 0, 0, 0, 3, 0, 0, 0],  # angry
            [0, 0, 0, 0, 0, 0, 4, 6, 0, 0],  # contempt
            [0, 0, 0, 0, 0, 0, 0, 0, 0, 0],  # no votes
            [0, 0, 0, 5, 0, 0, 0, 0, 5, 0],  # happy (tie with unknown)
        ]
    )
    majority = np.array([0, 7, -1, 3])
    meta = pd.DataFrame({"usage": ["Training"] * 4, "source": list("abcd")})
    images = np.zeros((4, 48, 48, 1), np.uint8)
    labels = np.array([0, 6, 0, 3], dtype=np.int64)
    return FerPlusSet(FaceSet(images, labels, FER_CLASSES, meta, "t"), counts, majority)


def test_training_targets_for_shares_and_majority_with_7_and_8_outputs():
    votes = _votes()
    keep, targets = training_targets(votes, HeadConfig(targets="shares", n_classes=8))
    np.testing.assert_array_equal(keep, [0, 1, 3])
    np.testing.assert_allclose(targets[1, [6, 7]], [0.4, 0.6])
    keep, targets = training_targets(votes, HeadConfig(targets="shares", n_classes=7))
    np.testing.assert_array_equal(keep, [0, 3])  # majority contempt is not a 7-class face
    np.testing.assert_allclose(targets.sum(axis=1), 1.0)
    keep, targets = training_targets(votes, HeadConfig(targets="majority", n_classes=8))
    np.testing.assert_array_equal(targets.argmax(axis=1), [0, 7, 3])
    with pytest.raises(InvalidInputError):
        training_targets(votes, HeadConfig(targets="votes", n_classes=8))


def test_class_weighted_targets_weigh_rare_classes_up_and_average_to_one():
    votes = _votes()
    _, plain = training_targets(votes, HeadConfig(targets="shares", n_classes=8))
    config = HeadConfig.from_name("shares8w")
    assert (config.targets, config.n_classes, config.class_balance) == ("shares", 8, 0.5)
    assert config.name == "shares8w"
    _, weighted = training_targets(votes, config)
    prior = plain.mean(axis=0)
    present = prior > 0
    ratio = weighted[:, present].sum(axis=0) / plain[:, present].sum(axis=0)
    expected = (prior[present] / prior[present][0]) ** -0.5
    np.testing.assert_allclose(ratio / ratio[0], expected, rtol=1e-5)
    assert weighted.sum(axis=1).mean() == pytest.approx(1.0)
    assert HeadConfig.from_name("majority7") == HeadConfig(targets="majority", n_classes=7)
    with pytest.raises(InvalidInputError, match="shares8w"):
        HeadConfig.from_name("votes8")


def test_an_interrupted_head_run_resumes_from_its_backup(base, faces, tmp_path):
    import keras

    class PowerCut(keras.callbacks.Callback):  # the cut comes as the third epoch starts
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 2:
                raise RuntimeError("power cut")

    seen = []

    class Count(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            seen.append(epoch)

    features = extract_features(build_trunk(base), faces, centre_and_flip(), dtype="float32")
    targets = np.eye(8, dtype=np.float32)[np.arange(8)]
    majority = np.arange(8) % 7
    config = HeadConfig(epochs=4, batch_size=4, patience=10)
    run = {"out_dir": tmp_path, "log": lambda message: None}
    with pytest.raises(RuntimeError, match="power cut"):
        train_head(
            base, config, features, targets, features, majority, **run, callbacks=[PowerCut()]
        )
    assert (tmp_path / "shares8.backup").exists()
    _, history = train_head(
        base, config, features, targets, features, majority, **run, callbacks=[Count()]
    )
    assert seen == [2, 3]  # 0-based: the two epochs before the cut are not repeated
    assert list(history["epoch"]) == [0, 1, 2, 3]
    assert not (tmp_path / "shares8.backup").exists()
    _, again = train_head(base, config, features, targets, features, majority, **run)
    assert list(again["epoch"]) == [0, 1, 2, 3]  # no backup: a fresh run, a fresh log


def _rows_and_predictions(n: int, best_right: int, shipped_right: int):
    """Two candidates scored on ``n`` faces of class 0: the best gets the first ``best_right``
    right, the shipped one the first ``shipped_right`` (so their disagreements are one-sided)."""
    labels = np.zeros(n, dtype=int)
    predictions = {
        "best": np.where(np.arange(n) < best_right, 0, 1),
        "shipped": np.where(np.arange(n) < shipped_right, 0, 1),
    }
    rows = [
        {"candidate": "shipped", "majority7_accuracy": shipped_right / n},
        {"candidate": "best", "majority7_accuracy": best_right / n},
    ]
    return rows, predictions, labels


def test_a_challenger_within_noise_of_the_shipped_candidate_does_not_replace_it():
    rows, predictions, labels = _rows_and_predictions(1000, 805, 800)
    chosen, test = choose_candidate(rows, predictions, labels, incumbent="shipped")
    assert chosen["candidate"] == "shipped"
    assert (test["b"], test["c"]) == (5, 0)
    assert test["p_value"] > REPLACE_BELOW_P
    assert (test["best"], test["incumbent"]) == ("best", "shipped")


def test_a_challenger_the_paired_test_separates_replaces_the_shipped_candidate():
    rows, predictions, labels = _rows_and_predictions(1000, 850, 800)
    chosen, test = choose_candidate(rows, predictions, labels, incumbent="shipped")
    assert chosen["candidate"] == "best"
    assert test["p_value"] < 1e-6


@pytest.mark.parametrize("incumbent", [None, "not among the rows", "best"])
def test_without_a_shipped_challenger_the_most_accurate_candidate_is_chosen(incumbent):
    rows, predictions, labels = _rows_and_predictions(1000, 805, 800)
    chosen, test = choose_candidate(rows, predictions, labels, incumbent=incumbent)
    assert chosen["candidate"] == "best"
    assert test is None


def test_the_incumbent_is_the_row_whose_recipe_the_shipped_card_describes():
    rows = [
        {
            "candidate": "shares8, block 4",
            "targets": "shares",
            "outputs": 8,
            "class_balance": 0.0,
            "fine_tuned": "conv block 4",
        },
        {
            "candidate": "shares8w (a=0.25), blocks 3-4",
            "targets": "shares",
            "outputs": 8,
            "class_balance": 0.25,
            "fine_tuned": "conv blocks 3-4",
        },
        {
            "candidate": "shares8, blocks 3-4",
            "targets": "shares",
            "outputs": 8,
            "class_balance": 0.0,
            "fine_tuned": "conv blocks 3-4",
        },
    ]
    card = {
        "recipe": {
            "targets": "shares",
            "n_classes": 8,
            "fine_tuned": "conv blocks 3-4 (2 convs + batch norm each) and a head",
        }
    }
    assert incumbent_name(rows, card) == "shares8, blocks 3-4"
    assert incumbent_name(rows, {"recipe": {**card["recipe"], "n_classes": 7}}) is None
    assert incumbent_name(rows, {"name": "fer2013_vgg_lite_v3"}) is None
    assert candidate_label("shares8w", 0.25) == "shares8w (a=0.25)"
    assert candidate_label("shares8", 0.0) == "shares8"
