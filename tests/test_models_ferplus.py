"""The FER+ model (the package's default): its card, calibration baked in, and its recorded
PrivateTest numbers recomputed exactly from the shipped file (flip, 2 passes)."""

from __future__ import annotations

import pytest

from emostudy.book.votes import score_logits
from emostudy.data import FERPLUS_CLASSES, load_ferplus
from emostudy.models import (
    DEFAULT_EMOTION_MODEL,
    load_emotion_model,
    model_card,
    predict_logits,
    shipped_models,
    to_model_input,
)

NAME = DEFAULT_EMOTION_MODEL


def test_the_default_is_a_shipped_ferplus_model():
    assert NAME in shipped_models()
    assert NAME.startswith("ferplus_") and "training_labels" in model_card(NAME)


def test_card_states_labels_classes_temperature_and_both_label_sets():
    card = model_card(NAME)
    assert card["classes"] == list(FERPLUS_CLASSES[: len(card["classes"])])
    assert "FER+" in card["training_labels"]
    assert card["temperature"] > 0
    private = card["metrics"]["PrivateTest_flip_tta"]
    assert {"majority7", "fer2013"} <= set(private)
    assert private["majority7"]["n"] == 3518 and private["fer2013"]["n"] == 3589
    assert card["same_run"]["fer_package"]["majority7"]["n"] == 3518
    assert card["onnx_parity"]["argmax_agreement"] == 1.0
    model = load_emotion_model(NAME)
    assert model.output_shape == (None, len(card["classes"]))
    text = (model_card.__globals__["model_path"](NAME).with_suffix(".md")).read_text()
    assert text.startswith(f"# Model card: `{NAME}`")


@pytest.mark.needs_data
# PrivateTest only: the numbers the card reports (PublicTest, the selection set, is scored by the
# candidate table in book/results/ferplus_training.json); one pass keeps make test within budget.
@pytest.mark.parametrize("usage", ["PrivateTest"])
def test_recomputes_its_recorded_numbers_exactly(fer2013_real, usage):
    card = model_card(NAME)
    votes = load_ferplus(fer2013_real.where(usage=usage), ferplus_filter=False)
    logits = predict_logits(
        load_emotion_model(NAME), to_model_input(votes.faces.images), tta="flip"
    )
    scores = score_logits(logits, votes, n_boot=10)
    recorded = card["metrics"][f"{usage}_flip_tta"]
    assert set(scores) == set(recorded)
    for label_set, entry in recorded.items():
        assert scores[label_set]["confusion"] == entry["confusion"], label_set
        assert scores[label_set]["accuracy"] == entry["accuracy"], label_set
        assert scores[label_set]["ece"] == pytest.approx(entry["ece"], rel=1e-6), label_set
        if "kl" in entry:
            assert scores[label_set]["kl"] == pytest.approx(entry["kl"], rel=1e-6), label_set


def test_the_committed_card_page_is_rendered_from_its_card():
    from pathlib import Path

    import emostudy.models
    from emostudy.book.votes import render_card

    page = Path(emostudy.models.__file__).parent / "weights" / f"{NAME}.md"
    assert page.read_text() == render_card(model_card(NAME)), (
        f"{page.name} is stale: render it again with emostudy.book.votes.render_card"
    )
