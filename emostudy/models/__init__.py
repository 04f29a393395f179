"""Keras model builders, training recipes and the emotion models shipped with the package."""

from emostudy.models.builders import ARCHITECTURES, build_cnn, build_mlp, build_model
from emostudy.models.pretrained import (
    DEFAULT_EMOTION_MODEL,
    LowInformationFaceWarning,
    load_emotion_model,
    model_card,
    model_path,
    predict_emotions,
    shipped_models,
)
from emostudy.models.recipes import GENERATIONS, HEADLINE, Recipe

__all__ = [
    "ARCHITECTURES",
    "DEFAULT_EMOTION_MODEL",
    "GENERATIONS",
    "HEADLINE",
    "LowInformationFaceWarning",
    "Recipe",
    "build_cnn",
    "build_mlp",
    "build_model",
    "load_emotion_model",
    "model_card",
    "model_path",
    "predict_emotions",
    "shipped_models",
]
