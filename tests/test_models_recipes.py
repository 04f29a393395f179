"""Chapter 9's training recipes and the headline model's card rendering."""

from dataclasses import replace

import pytest

from emostudy.book import render_model_card
from emostudy.book.headline import HEADLINE_CONFIG
from emostudy.training import GENERATIONS, HEADLINE, HEADLINE_V3


@pytest.mark.parametrize("name", list(GENERATIONS))
def test_each_generation_builds_a_seven_class_logits_model(name):
    recipe = GENERATIONS[name]
    model = recipe.build()
    assert model.output_shape == (None, 7)
    assert recipe.config.seed == GENERATIONS["gen1_tiny"].config.seed  # one seed for all


def test_generations_end_with_the_headline_recipe():
    assert list(GENERATIONS)[-1] == "gen4_headline"
    assert GENERATIONS["gen4_headline"] is HEADLINE
    assert HEADLINE.config == HEADLINE_CONFIG
    assert HEADLINE.config.monitor == "val_accuracy"


def test_with_epochs_changes_only_the_epochs():
    short = HEADLINE.with_epochs(2)
    assert short.config.epochs == 2
    assert short.config.learning_rate == HEADLINE.config.learning_rate
    assert short.architecture == HEADLINE.architecture


def test_with_precision_changes_only_the_precision():
    native = HEADLINE.with_precision("float32")
    assert HEADLINE.config.precision == "mixed_bfloat16"
    assert native.config.precision == "float32"
    assert replace(native.config, precision="mixed_bfloat16") == HEADLINE.config
    assert native.architecture == HEADLINE.architecture


def test_model_card_renders_every_class_and_the_interval():
    per_class = {
        c: {"precision": 0.5, "recall": 0.25, "f1": 0.333, "support": 10} for c in ("happy", "sad")
    }
    metric = {
        "accuracy": 0.7,
        "balanced_accuracy": 0.6,
        "macro_f1": 0.55,
        "ci": {"accuracy": [0.68, 0.72]},
        "n": 20,
        "per_class": per_class,
    }
    facts = {
        "name": "m",
        "architecture": "vgg_lite",
        "n_params": 1234,
        "file_megabytes": 4.8,
        "classes": ["happy", "sad"],
        "input": "48x48",
        "data": {"train": "T", "select": "S", "report": "R"},
        "recipe": {
            "batch_size": 128,
            "optimizer": "adamw",
            "learning_rate": 0.002,
            "weight_decay": 0.01,
            "schedule": "cosine",
            "warmup_epochs": 3,
            "label_smoothing": 0.1,
            "augment": "flip",
            "precision": "mixed_bfloat16",
            "seed": 1,
        },
        "epochs_run": 60,
        "best_epoch": 55,
        "training_seconds": 3600.0,
        "median_epoch_seconds": 60.0,
        "metrics": {"PrivateTest": metric, "PrivateTest_flip_tta": metric, "PublicTest": metric},
    }
    card = render_model_card(facts)
    assert "| happy | 10 | 50.0% | 25.0% | 33.3% |" in card
    assert "| sad | 10 |" in card
    assert "70.0% (95% CI 68.0%-72.0%)" in card
    assert "60 min of training" in card
    assert "1,234 parameters" in card
    assert "worst are *happy* and *sad*" in card
    # the architecture line is generated from the builder settings, not typed
    assert "4 VGG blocks of 2 3x3 convolutions with 48-96-192-256 filters" in card
    assert "batch normalisation (fused kernel)" in card


def test_training_time_estimate_scales_a_timed_epoch_to_the_run():
    from dataclasses import replace

    from emostudy.book import describe_estimate, estimate_training_time
    from emostudy.book.headline import HEADLINE_TRAIN_IMAGES
    from emostudy.hardware import usable_precision

    estimate = estimate_training_time(replace(HEADLINE_CONFIG, epochs=10), n_images=128, repeats=1)
    assert estimate["epochs"] == 10 and estimate["requested_precision"] == HEADLINE_CONFIG.precision
    assert estimate["precision"] == usable_precision(HEADLINE_CONFIG.precision)  # never emulated
    assert estimate["cpu"]["model"]
    assert estimate["seconds_per_epoch"] > 0
    assert estimate["minutes"] == pytest.approx(estimate["seconds_per_epoch"] * 10 / 60)
    text = describe_estimate(estimate)
    assert f"{HEADLINE_TRAIN_IMAGES:,} images" in text and "10 epochs" in text
    assert f"{estimate['minutes']:.0f} min" in text and estimate["bfloat16"] in text
    assert max(len(line) for line in text.splitlines()) < 100  # fits a page's output block


def test_the_estimate_on_a_cpu_without_bfloat16_times_float32_and_says_so(monkeypatch):
    from dataclasses import replace

    from emostudy import hardware
    from emostudy.book import describe_estimate, estimate_training_time

    monkeypatch.setattr(hardware, "has_native_bfloat16", lambda *a, **k: False)
    config = replace(HEADLINE_CONFIG, epochs=2, precision="mixed_bfloat16")
    estimate = estimate_training_time(config, n_images=128, repeats=1)
    assert estimate["precision"] == "float32"
    assert estimate["requested_precision"] == "mixed_bfloat16"
    text = describe_estimate(estimate)
    assert "would only emulate:\ntraining and this estimate use float32" in text
    assert max(len(line) for line in text.splitlines()) < 100


@pytest.mark.needs_data
def test_the_estimate_uses_the_protocols_training_set_size(fer2013_real):
    from emostudy.book.headline import HEADLINE_TRAIN_IMAGES
    from emostudy.data import fer2013_protocol

    assert len(fer2013_protocol(fer2013_real).train) == HEADLINE_TRAIN_IMAGES


def test_the_v3_recipe_starts_from_the_shipped_v2_weights():
    import numpy as np

    from emostudy.models import build_model, load_emotion_model
    from emostudy.training import HEADLINE_V3

    model = HEADLINE_V3.build()
    source = load_emotion_model(HEADLINE_V3.init_from)
    core = build_model("vgg_lite", input_shape=(44, 44, 1))
    core.set_weights(source.get_weights())
    x = np.random.default_rng(0).random((3, 48, 48, 1)).astype(np.float32)
    np.testing.assert_allclose(
        np.asarray(model(x, training=False)), np.asarray(core(x[:, 2:46, 2:46])), atol=1e-5
    )
    assert HEADLINE_V3.config.extra["init_from"] == HEADLINE_V3.init_from


def test_a_warm_start_from_an_incompatible_model_is_named():
    from dataclasses import replace

    from emostudy.errors import InvalidInputError
    from emostudy.training import HEADLINE_V3

    with pytest.raises(InvalidInputError, match="differ in number or shape"):
        replace(HEADLINE_V3, architecture="tiny_cnn").build()


def test_teachers_give_softened_flip_averaged_probabilities():
    from dataclasses import replace

    import numpy as np
    from scipy.special import softmax

    from emostudy.models import load_emotion_model, predict_logits
    from emostudy.training import HEADLINE_V4

    x = np.random.default_rng(1).random((4, 48, 48, 1)).astype(np.float32)
    recipe = replace(HEADLINE_V4, teachers=("fer2013_vgg_lite",), teacher_temperature=3.0)
    probabilities = recipe.teacher_probabilities(x)
    logits = predict_logits(load_emotion_model("fer2013_vgg_lite"), x, tta="flip")
    np.testing.assert_allclose(probabilities, softmax(logits / 3.0, axis=1), atol=1e-5)
    assert probabilities.shape == (4, 7)
    hot = replace(recipe, teacher_temperature=1.0).teacher_probabilities(x)
    assert probabilities.max(1).mean() < hot.max(1).mean()  # temperature spreads them
    assert HEADLINE_V3.teacher_probabilities(x) is None


def test_a_recipe_with_teachers_must_weight_them_and_vice_versa():
    from dataclasses import replace

    from emostudy.errors import InvalidInputError
    from emostudy.training import HEADLINE_V3, HEADLINE_V4

    with pytest.raises(InvalidInputError, match="needs config.distill_weight > 0"):
        replace(HEADLINE_V3, teachers=("fer2013_vgg_lite",))
    with pytest.raises(InvalidInputError, match="needs config.distill_weight > 0"):
        replace(HEADLINE_V4, teachers=())
    with pytest.raises(InvalidInputError, match="teacher_temperature must be positive"):
        replace(HEADLINE_V4, teacher_temperature=0.0)


def test_the_card_names_every_run_a_warm_start_descends_from_and_its_teachers():
    from emostudy.book.headline import model_lineage, training_origin

    assert model_lineage(None) == []
    assert model_lineage("fer2013_vgg_lite_v3") == [
        ["fer2013_vgg_lite", 80],
        ["fer2013_vgg_lite_v3", 30],
    ]
    facts = {
        "init_from": "fer2013_vgg_lite_v3",
        "lineage": model_lineage("fer2013_vgg_lite_v3"),
        "teachers": ["fer2013_vgg_lite", "fer2013_vgg_lite_v3"],
        "teacher_temperature": 2.0,
        "recipe": {"distill_weight": 0.5},
    }
    text = training_origin(facts)
    assert text.startswith("from scratch in three runs: `fer2013_vgg_lite` (80 epochs), then ")
    assert "`fer2013_vgg_lite_v3` (30 epochs), then this run, distilled" in text
    assert "temperature 2.0 make 50% of each training target" in text
    # a card written before lineages were recorded still reads right
    older = {"init_from": "fer2013_vgg_lite", "init_epochs": 80}
    assert training_origin(older) == (
        "from scratch in two runs: `fer2013_vgg_lite` (80 epochs), then this warm restart"
    )
    assert training_origin({}) == "from scratch"


def test_like_for_like_estimates_pairs_only_the_same_precision_and_bfloat16_support():
    from emostudy.book import like_for_like_estimates

    avx512 = "AVX512-BF16 vector instructions (no matrix units)"
    estimates = {
        "chapter 10": {
            "seconds_per_epoch": 180.0,
            "precision": "mixed_bfloat16",
            "bfloat16": avx512,
        },
        "previous": {"seconds_per_epoch": 104.0, "precision": "mixed_bfloat16", "bfloat16": avx512},
        "this run": {"seconds_per_epoch": 260.0, "precision": "float32", "bfloat16": "none"},
        "missing": None,
    }
    pairs = like_for_like_estimates(estimates)
    assert len(pairs) == 1
    (pair,) = pairs
    assert (pair["slower"], pair["faster"]) == ("chapter 10", "previous")
    assert pair["ratio"] == pytest.approx(180 / 104) and pair["precision"] == "mixed_bfloat16"
    same_precision_other_cpu = {
        "a": {"seconds_per_epoch": 1.0, "precision": "float32", "bfloat16": "none"},
        "b": {"seconds_per_epoch": 2.0, "precision": "float32", "bfloat16": avx512},
    }
    assert like_for_like_estimates(same_precision_other_cpu) == []
