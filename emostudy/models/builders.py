"""Keras model builders for 48x48 grayscale faces (or any small image or vector input).

Every builder returns an *uncompiled* ``keras.Model`` whose last layer outputs logits (no softmax),
as :func:`emostudy.training.train` expects. Inputs are float32 in [0, 1]
(:func:`emostudy.models.inputs.to_model_input`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from emostudy._quiet import import_keras
from emostudy.data.classes import FACE_SIZE
from emostudy.errors import InvalidInputError

#: The input shape of every emotion model: one grayscale face.
FACE_SHAPE = (FACE_SIZE, FACE_SIZE, 1)


def _regularizer(l2: float):
    keras = import_keras()

    return keras.regularizers.L2(l2) if l2 else None


def build_mlp(
    input_shape: Sequence[int] = FACE_SHAPE,
    n_classes: int = 7,
    *,
    hidden: Sequence[int] = (256, 128),
    activation: str = "relu",
    dropout: float = 0.0,
    l2: float = 0.0,
    batch_norm: bool = False,
    name: str = "mlp",
):
    """A fully connected network: flatten, ``hidden`` dense layers, a logits layer.

    ``dropout`` (fraction of units dropped) and ``batch_norm`` apply after every hidden layer,
    ``l2`` (weight-decay coefficient) to every kernel.
    """
    keras = import_keras()
    from keras import layers

    inputs = keras.Input(tuple(input_shape))
    x = layers.Flatten()(inputs)
    for width in hidden:
        x = layers.Dense(width, kernel_regularizer=_regularizer(l2), use_bias=not batch_norm)(x)
        if batch_norm:
            x = layers.BatchNormalization()(x)
        x = layers.Activation(activation)(x)
        if dropout:
            x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(n_classes, kernel_regularizer=_regularizer(l2), name="logits")(x)
    return keras.Model(inputs, outputs, name=name)


def build_cnn(
    input_shape: Sequence[int] = FACE_SHAPE,
    n_classes: int = 7,
    *,
    filters: Sequence[int] = (32, 64),
    convs_per_block: int = 1,
    kernel_size: int = 3,
    dense: Sequence[int] = (128,),
    dropout: float = 0.0,
    conv_dropout: float = 0.0,
    l2: float = 0.0,
    batch_norm: bool = False,
    global_pool: bool = False,
    fused_norm: bool = False,
    input_crop: int | None = None,
    name: str = "cnn",
):
    """A VGG-style CNN: blocks of ``convs_per_block`` same-padded convolutions, then 2x2 max-pool.

    Block ``i`` has ``filters[i]`` channels. After the blocks: global average pooling
    (``global_pool=True``) or flattening, the ``dense`` hidden layers (with ``dropout``), logits.
    ``conv_dropout`` is applied after each pooling; ``dropout`` after every hidden dense layer
    or, without any, to the pooled features before the logits; ``batch_norm`` after every
    convolution and dense layer; ``l2`` to every kernel. ``fused_norm=True`` uses
    :class:`~emostudy.models.layers.FusedBatchNormalization` after the convolutions (same maths,
    one fused kernel: several times faster epochs on a CPU under bfloat16, as chapter 13 measures).
    ``input_crop`` (pixels) starts the network with a
    :class:`~emostudy.models.layers.RandomFaceCrop`: a random ``input_crop``-pixel window of each
    face in training, the centre window at inference.
    """
    keras = import_keras()
    from keras import layers

    inputs = keras.Input(tuple(input_shape))
    x = inputs
    if input_crop:
        from emostudy.models.layers import RandomFaceCrop

        x = RandomFaceCrop(input_crop, name="random_face_crop")(x)
    for width in filters:
        for _ in range(convs_per_block):
            x = layers.Conv2D(
                width,
                kernel_size,
                padding="same",
                use_bias=not batch_norm,
                kernel_regularizer=_regularizer(l2),
            )(x)
            if batch_norm:
                x = _conv_norm(fused_norm)(x)
            x = layers.Activation("relu")(x)
        x = layers.MaxPooling2D(2)(x)
        if conv_dropout:
            x = layers.Dropout(conv_dropout)(x)
    x = layers.GlobalAveragePooling2D()(x) if global_pool else layers.Flatten()(x)
    for width in dense:
        x = layers.Dense(width, use_bias=not batch_norm, kernel_regularizer=_regularizer(l2))(x)
        if batch_norm:
            x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        if dropout:
            x = layers.Dropout(dropout)(x)
    if dropout and not dense:
        x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(n_classes, kernel_regularizer=_regularizer(l2), name="logits")(x)
    return keras.Model(inputs, outputs, name=name)


def _conv_norm(fused: bool):
    keras = import_keras()

    if fused:
        from emostudy.models.layers import FusedBatchNormalization

        return FusedBatchNormalization()
    return keras.layers.BatchNormalization()


#: The headline networks' settings (chapter 9's generations 4 and later).
_VGG_LITE: dict[str, Any] = {
    "filters": (48, 96, 192, 256),
    "convs_per_block": 2,
    "dense": (),
    "batch_norm": True,
    "fused_norm": True,
    "global_pool": True,
}

#: Named architectures used across the book: builder and its settings.
ARCHITECTURES: dict[str, tuple[Any, dict[str, Any]]] = {
    "mlp": (build_mlp, {"hidden": (256, 128)}),
    "tiny_cnn": (build_cnn, {"filters": (32, 64), "dense": (128,)}),
    "vgg_cnn": (build_cnn, {"filters": (32, 64, 128), "convs_per_block": 2, "dense": (256,)}),
    "vgg_bn_cnn": (
        build_cnn,
        {
            "filters": (32, 64, 128),
            "convs_per_block": 2,
            "dense": (256,),
            "batch_norm": True,
            "dropout": 0.5,
            "conv_dropout": 0.2,
        },
    ),
    "vgg_lite": (build_cnn, _VGG_LITE),
    # the same network on random 44-pixel windows (training) and the centre window (inference)
    "vgg_lite_crop44": (build_cnn, {**_VGG_LITE, "input_crop": 44}),
}


def build_model(
    architecture: str, input_shape: Sequence[int] = FACE_SHAPE, n_classes: int = 7, **overrides
):
    """Build a named architecture from :data:`ARCHITECTURES`, with any setting overridden."""
    if architecture not in ARCHITECTURES:
        raise InvalidInputError(
            f"Unknown architecture {architecture!r}; choose one of {sorted(ARCHITECTURES)}."
        )
    builder, settings = ARCHITECTURES[architecture]
    return builder(input_shape, n_classes, **{**settings, "name": architecture, **overrides})
