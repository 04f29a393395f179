"""The shipped emotion model: loading, prediction, errors, and its recorded PrivateTest accuracy."""

import json
from pathlib import Path

import numpy as np
import pytest

from emostudy.data import FER_CLASSES
from emostudy.errors import InvalidInputError, ModelNotFoundError
from emostudy.evaluation import evaluate
from emostudy.models import (
    DEFAULT_EMOTION_MODEL,
    load_emotion_model,
    model_card,
    model_classes,
    model_path,
    predict_emotions,
    predict_logits_by_tta,
    shipped_models,
    to_model_input,
    training_log,
)


@pytest.fixture(scope="module")
def faces():
    return np.random.default_rng(0).integers(0, 256, (6, 48, 48, 1), dtype=np.uint8)


def test_default_model_ships_small_with_card_and_log():
    assert DEFAULT_EMOTION_MODEL in shipped_models()
    path = model_path()
    assert path.stat().st_size < 10e6
    card = model_card()
    # The default learnt the FER+ votes: FER-2013's 7 classes in their order, then contempt.
    assert card["classes"] == [*FER_CLASSES, "contempt"] == list(model_classes())
    card_text = path.with_suffix(".md").read_text()
    assert card_text.startswith(f"# Model card: `{DEFAULT_EMOTION_MODEL}`")
    log = training_log()
    assert len(log) == card["epochs_run"]
    assert log["val_majority_accuracy"].idxmax() == card["best_epoch"]


@pytest.mark.parametrize("name", ["fer2013_vgg_lite", "fer2013_vgg_lite_v3", "fer2013_vgg_lite_v4"])
def test_the_fer2013_label_models_stay_selectable_with_seven_classes(name, faces):
    assert model_classes(name) == FER_CLASSES
    assert predict_emotions(faces, load_emotion_model(name)).shape == (6, 7)
    log = training_log(name)
    assert log["val_accuracy"].idxmax() == model_card(name)["best_epoch"]


def test_loads_a_float32_logits_model_once():
    model = load_emotion_model()
    assert model is load_emotion_model()
    assert model.output_shape == (None, len(model_classes()))
    assert {layer.dtype_policy.name for layer in model.layers} == {"float32"}


def test_predicts_probabilities_in_every_accepted_shape(faces):
    probabilities = predict_emotions(faces)
    assert probabilities.shape == (6, len(model_classes())) == (6, 8)
    assert predict_emotions(faces[:0]).shape == (0, 8)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(predict_emotions(faces[..., 0]), probabilities, rtol=1e-5)
    np.testing.assert_allclose(predict_emotions(faces[0, ..., 0]), probabilities[:1], rtol=1e-5)


def test_flip_tta_is_mirror_invariant(faces):
    mirrored = faces[:, :, ::-1]
    np.testing.assert_allclose(
        predict_emotions(faces), predict_emotions(mirrored), rtol=1e-4, atol=1e-6
    )
    assert not np.allclose(
        predict_emotions(faces, flip_tta=False), predict_emotions(mirrored, flip_tta=False)
    )


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.zeros((2, 48, 48, 1), np.float32), "uint8"),
        (np.zeros((2, 64, 64), np.uint8), "48"),
        (np.zeros((2, 48, 48, 3), np.uint8), "grayscale"),
    ],
)
def test_bad_faces_are_named(bad, message):
    with pytest.raises(InvalidInputError, match=message):
        predict_emotions(bad)


def test_unknown_model_lists_the_shipped_ones():
    with pytest.raises(ModelNotFoundError, match=DEFAULT_EMOTION_MODEL):
        load_emotion_model("no_such_model")


@pytest.mark.needs_data
@pytest.mark.parametrize("name", ["fer2013_vgg_lite_v3"])
def test_reproduces_its_recorded_privatetest_accuracy_exactly(fer2013_real, name):
    # Chapter 9's headline model (the FER+ default's starting point), single pass and flip (one
    # set of 2 passes), recomputed from the shipped file. The default FER+ model is recomputed
    # against both label sets in test_models_ferplus. The other FER-2013-label models' cards
    # (v2, v4: 40 s each to recompute) are checked against chapter 9's own run below; ten-crop
    # (10 passes) likewise, and its averaging against an explicit construction in test_training.
    card = model_card(name)
    private = fer2013_real.where(usage="PrivateTest")
    model = load_emotion_model(name)
    logits = predict_logits_by_tta(model, to_model_input(private.images), up_to="flip")
    for key, tta in [("PrivateTest", None), ("PrivateTest_flip_tta", "flip")]:
        predicted = logits[tta].argmax(axis=1)
        result = evaluate(private.labels, predicted, FER_CLASSES, n_boot=10)
        recorded = card["metrics"][key]
        assert result["confusion"] == recorded["confusion"], key
        assert result["accuracy"] == recorded["accuracy"], key


CHAPTER_9_KEYS = {
    "fer2013_vgg_lite": "gen4_headline",
    "fer2013_vgg_lite_v3": "gen5_headline_v3",
    "fer2013_vgg_lite_v4": "gen6_distilled_v4",
}


@pytest.mark.parametrize("name", [n for n in shipped_models() if n in CHAPTER_9_KEYS])
def test_every_recorded_privatetest_number_matches_chapter_9s_own_run(name):
    # The card's numbers come from `headline package`; chapter 9 scores the same model on the
    # same images in its own full run. Every setting, ten-crop included, must agree exactly.
    table = Path(__file__).resolve().parents[1] / "book" / "results" / "fer2013.json"
    if not table.is_file():
        pytest.skip("needs the project checkout's chapter 9 table")
    generations = json.loads(table.read_text())["results"]["generations"]
    key = CHAPTER_9_KEYS[name]
    settings = {"PrivateTest": "", "PrivateTest_flip_tta": " + flip TTA"}
    settings["PrivateTest_ten_crop_tta"] = " + ten-crop"
    recorded = {k: v for k, v in model_card(name)["metrics"].items() if k in settings}
    assert {"PrivateTest", "PrivateTest_flip_tta"} <= set(recorded)
    for metric, entry in recorded.items():
        chapter = generations[key + settings[metric]]
        assert entry["accuracy"] == chapter["accuracy"], metric
        assert entry["confusion"] == chapter["confusion"], metric


@pytest.mark.parametrize("version", ["v2", "v3", "v4"])
def test_each_headline_recipe_rebuilds_its_shipped_architecture(version):
    # The model card describes the architecture from the builder's settings, and
    # `emostudy headline train --recipe <version>` rebuilds it from them: both
    # hold only if the recipe's model has the shipped model's layers, in order, with the same
    # weight shapes.
    from emostudy.book import PACKAGE_NAMES, RECIPES
    from emostudy.book.headline import describe_architecture

    name, recipe = PACKAGE_NAMES[version], RECIPES[version]
    if name not in shipped_models():
        pytest.skip(f"{name} is not shipped")
    shipped, rebuilt = load_emotion_model(name), recipe.build()

    def signature(model):
        return [
            (type(layer).__name__, [tuple(w.shape) for w in layer.weights])
            for layer in model.layers
        ]

    assert signature(rebuilt) == signature(shipped)
    has_dropout = any(type(layer).__name__ == "Dropout" for layer in shipped.layers)
    assert ("dropout" in describe_architecture(recipe.architecture)) == has_dropout
    assert "dropout" not in model_path(name).with_suffix(".md").read_text()


def test_an_empty_batch_gives_no_rows():
    assert predict_emotions(np.zeros((0, 48, 48), np.uint8)).shape == (0, len(model_classes()))
    assert predict_emotions(np.zeros((0, 48, 48, 1), np.uint8)).shape == (0, len(model_classes()))


def test_one_face_with_its_channel_axis_is_one_face(faces):
    np.testing.assert_allclose(predict_emotions(faces[0]), predict_emotions(faces[:1]), rtol=1e-5)


def test_a_colour_face_is_told_to_convert_to_grayscale():
    for face in (np.zeros((48, 48, 3), np.uint8), np.zeros((1, 48, 48, 3), np.uint8)):
        with pytest.raises(InvalidInputError, match=r"Convert them to grayscale.*cvtColor") as e:
            predict_emotions(face)
        assert "(48, 48, 1, 1)" not in str(e.value)


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, "8"])
def test_batch_size_must_be_a_positive_integer(faces, batch_size):
    with pytest.raises(InvalidInputError, match="batch_size must be an integer"):
        predict_emotions(faces, batch_size=batch_size)


def test_blank_faces_are_flagged(faces):
    from emostudy.models import LowInformationFaceWarning, low_information

    blank = np.stack([np.zeros((48, 48), np.uint8), np.full((48, 48), 255, np.uint8)])[..., None]
    batch = np.concatenate([faces[:2], blank])
    np.testing.assert_array_equal(low_information(batch), [False, False, True, True])
    with pytest.warns(LowInformationFaceWarning, match="2 of 4 faces are blank"):
        probabilities = predict_emotions(batch)
    assert probabilities.shape == (4, len(model_classes()))
