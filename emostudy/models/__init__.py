"""Keras model builders (and, later, the shipped models)."""

from emostudy.models.builders import ARCHITECTURES, build_cnn, build_mlp, build_model

__all__ = ["ARCHITECTURES", "build_cnn", "build_mlp", "build_model"]
