"""Mixed precision for training: the Keras dtype policy, and converting a model back to float32."""

from __future__ import annotations

import contextlib

from emostudy._quiet import import_keras


@contextlib.contextmanager
def precision_policy(precision: str):
    """Build under the Keras dtype policy ``precision``; restore the previous policy after."""
    keras = import_keras()

    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(precision)
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


def as_float32(model):
    """A float32 copy of ``model`` (same architecture and weights), e.g. after mixed-precision
    training, so that inference gives the same numbers on CPUs with and without bfloat16."""
    with precision_policy("float32"):
        copy = model.__class__.from_config(_float32_config(model.get_config()))
    copy.set_weights(model.get_weights())
    return copy


def _float32_config(config):
    """``config`` (a Keras model config) with every layer's dtype policy set to float32."""
    if isinstance(config, dict):
        if config.get("class_name") in {"DTypePolicy", "DTypePolicyMap"}:
            return "float32"
        return {key: _float32_config(value) for key, value in config.items()}
    if isinstance(config, list):
        return [_float32_config(item) for item in config]
    return config
