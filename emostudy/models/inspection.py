"""Looking inside convolutional networks: layer tables, receptive fields, filters, feature maps.

Helpers for chapter 4, all on Keras models (channels last):

* :func:`keras_conv2d` and :func:`keras_pool2d` run one Keras layer with given weights, as the
  reference that :mod:`emostudy.nn.conv` is checked against;
* :func:`layer_table` lists a model's layers with their output shapes, their parameter counts
  (Keras' ``count_params`` next to :func:`~emostudy.nn.conv.conv_params` /
  :func:`~emostudy.nn.conv.dense_params`) and the receptive field of every spatial layer;
* :func:`measured_receptive_field` measures a receptive field with automatic differentiation;
* :func:`first_layer_filters` and :func:`feature_maps` return what a trained model has learned and
  what it computes for an image, ready for :func:`emostudy.plots.show_images`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from emostudy._quiet import import_keras, import_tensorflow
from emostudy.errors import InvalidInputError
from emostudy.nn.conv import conv_params, dense_params, receptive_field

#: Keras layer classes that slide a window over the image: (kernel, stride) geometry.
SPATIAL_LAYERS = ("Conv2D", "MaxPooling2D", "AveragePooling2D")


#: Keras layer classes after which every unit sees the whole image.
GLOBAL_LAYERS = ("Flatten", "GlobalAveragePooling2D", "GlobalMaxPooling2D", "Dense")


def _square(value: Any, what: str) -> int:
    """The single size of a square window/stride given as an int or an (h, w) pair."""
    values = tuple(value) if isinstance(value, tuple | list) else (value, value)
    if len(set(values)) != 1:
        raise InvalidInputError(f"{what} must be square, got {values}.")
    return int(values[0])


def keras_conv2d(
    x: ArrayLike,
    kernels: ArrayLike,
    bias: ArrayLike | None = None,
    stride: int = 1,
    padding: str = "valid",
) -> np.ndarray:
    """``keras.layers.Conv2D`` applied to ``x`` (N, H, W, C_in) with the given weights.

    Same arguments as :func:`emostudy.nn.conv.conv2d` (``padding`` "valid" or "same"); Keras
    computes in float32, the result is returned as float64 for comparison.
    """
    keras = import_keras()

    x = np.asarray(x, dtype=np.float32)
    kernels = np.asarray(kernels, dtype=np.float32)
    if x.ndim != 4 or kernels.ndim != 4 or kernels.shape[2] != x.shape[3]:
        raise InvalidInputError(
            f"need x (N, H, W, C) and kernels (kh, kw, C, C_out), got {x.shape} and "
            f"{kernels.shape}."
        )
    kh, kw, c_in, c_out = kernels.shape
    layer = keras.layers.Conv2D(
        c_out, (kh, kw), strides=stride, padding=padding, use_bias=bias is not None
    )
    layer.build((None, *x.shape[1:]))
    weights = [kernels] if bias is None else [kernels, np.asarray(bias, dtype=np.float32)]
    layer.set_weights(weights)
    return np.asarray(layer(x), dtype=np.float64)


def keras_pool2d(
    x: ArrayLike,
    kind: str = "max",
    pool: int = 2,
    stride: int | None = None,
    padding: str = "valid",
) -> np.ndarray:
    """``keras.layers.MaxPooling2D`` (``kind="max"``) or ``AveragePooling2D`` (``"avg"``) on x."""
    keras = import_keras()

    layers = {"max": keras.layers.MaxPooling2D, "avg": keras.layers.AveragePooling2D}
    if kind not in layers:
        raise InvalidInputError(f"kind must be 'max' or 'avg', got {kind!r}.")
    layer = layers[kind](pool_size=pool, strides=stride, padding=padding)
    return np.asarray(layer(np.asarray(x, dtype=np.float32)), dtype=np.float64)


def _formula_params(layer) -> int | None:
    """Parameters of a Conv2D or Dense layer from the formulas of :mod:`emostudy.nn.conv`."""
    kind = type(layer).__name__
    if kind == "Conv2D":
        kh, kw = layer.kernel_size
        c_in = int(layer.input.shape[-1])
        return conv_params(kh, kw, c_in, layer.filters, bias=layer.use_bias)
    if kind == "Dense":
        return dense_params(int(layer.input.shape[-1]), layer.units, bias=layer.use_bias)
    return None


def layer_table(model) -> pd.DataFrame:
    """One row per layer of a functional/sequential Keras model (the input layer left out).

    Columns: ``layer`` (name), ``type`` (class name), ``output_shape`` (without the batch axis),
    ``params`` (Keras ``count_params``), ``formula_params`` (:func:`conv_params` or
    :func:`dense_params` for Conv2D/Dense layers, else None), ``kernel`` and ``stride`` (for
    Conv2D and pooling layers, else None) and ``receptive_field``: the side, in input pixels,
    of the input window one unit of the layer's output depends on (computed with
    :func:`~emostudy.nn.conv.receptive_field` from the windows so far; None from the first
    flattening, global-pooling or dense layer on, where every unit sees the whole input).
    """
    rows = []
    windows: list[tuple[int, int]] = []
    global_reached = False
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "InputLayer":
            continue
        kernel = stride = None
        if kind == "Conv2D":
            kernel = _square(layer.kernel_size, f"{layer.name} kernel")
            stride = _square(layer.strides, f"{layer.name} stride")
        elif kind in ("MaxPooling2D", "AveragePooling2D"):
            kernel = _square(layer.pool_size, f"{layer.name} pool size")
            stride = _square(layer.strides, f"{layer.name} stride")
        if kernel is not None:
            windows.append((kernel, stride))
        global_reached = global_reached or kind in GLOBAL_LAYERS
        rows.append(
            {
                "layer": layer.name,
                "type": kind,
                "output_shape": tuple(layer.output.shape[1:]),
                "params": int(layer.count_params()),
                "formula_params": _formula_params(layer),
                "kernel": kernel,
                "stride": stride,
                "receptive_field": None if global_reached else receptive_field(windows),
            }
        )
    table = pd.DataFrame(rows)
    for column in ("formula_params", "kernel", "stride", "receptive_field"):
        table[column] = table[column].astype("Int64")  # whole numbers, <NA> where undefined
    return table


def measured_receptive_field(layers: Sequence[tuple[int, int]], input_size: int | None = None):
    """Receptive field of a stack of ``(kernel, stride)`` windows, measured with autodiff.

    Builds a Keras stack of single-channel, bias-free "valid" convolutions with all weights 1 and
    no activation (a pooling layer has the same window geometry), takes the gradient of one
    central output unit with respect to the input, and returns the side of the square of input
    pixels where that gradient is non-zero. (A trained network with ReLUs and max-pooling may
    use less of that square for a given image, never more.)
    """
    keras = import_keras()
    tf = import_tensorflow()

    layers = [(int(k), int(s)) for k, s in layers]
    if not layers:
        return 1
    field = receptive_field(layers)
    size = input_size or 2 * field + int(np.prod([s for _, s in layers]))
    inputs = keras.Input((size, size, 1))
    x = inputs
    for kernel, stride in layers:
        x = keras.layers.Conv2D(
            1, kernel, strides=stride, use_bias=False, kernel_initializer="ones"
        )(x)
    model = keras.Model(inputs, x)
    out_h, out_w = model.output_shape[1:3]
    if out_h < 1 or out_w < 1:
        raise InvalidInputError(f"input_size {size} is too small for the stack {layers}.")
    image = tf.ones((1, size, size, 1))
    with tf.GradientTape() as tape:
        tape.watch(image)
        unit = model(image)[0, out_h // 2, out_w // 2, 0]
    grad = np.asarray(tape.gradient(unit, image))[0, :, :, 0]
    rows, cols = np.nonzero(grad)
    height, width = rows.max() - rows.min() + 1, cols.max() - cols.min() + 1
    if height != width:
        raise AssertionError(f"non-square receptive field {height}x{width}")
    return int(height)


def first_layer_filters(model) -> np.ndarray:
    """Kernels of the first Conv2D layer as images: array (C_out, kh, kw, C_in)."""
    convs = [layer for layer in model.layers if type(layer).__name__ == "Conv2D"]
    if not convs:
        raise InvalidInputError(f"model {model.name!r} has no Conv2D layer.")
    kernels = np.asarray(convs[0].get_weights()[0])
    return np.moveaxis(kernels, -1, 0)


def _chosen_layers(model, layer_types: Sequence[str], names) -> list:
    if names is not None:
        chosen = [layer for layer in model.layers if layer.name in set(names)]
        missing = sorted(set(names) - {layer.name for layer in chosen})
        if missing:
            raise InvalidInputError(f"model {model.name!r} has no layer(s) {missing}.")
    else:
        chosen = [layer for layer in model.layers if type(layer).__name__ in set(layer_types)]
    if not chosen:
        kinds = sorted({type(layer).__name__ for layer in model.layers})
        raise InvalidInputError(
            f"no layer of type {list(layer_types)} in model {model.name!r}; it has {kinds}."
        )
    return chosen


def feature_model(model, layer_types: Sequence[str] = ("MaxPooling2D",), names=None):
    """A ``keras.Model`` from ``model``'s input to the outputs of the chosen layers.

    Chosen are the layers whose class name is in ``layer_types``, or, when ``names`` is given,
    the layers with those names (in model order).
    """
    keras = import_keras()

    chosen = _chosen_layers(model, layer_types, names)
    return keras.Model(model.inputs, [layer.output for layer in chosen], name="features")


def feature_maps(
    model, x: ArrayLike, layer_types: Sequence[str] = ("MaxPooling2D",), names=None
) -> dict[str, np.ndarray]:
    """Outputs of the chosen layers (see :func:`feature_model`) for the inputs ``x``.

    Returns ``{layer name: array (N, H, W, C)}`` in model order.
    """
    keras = import_keras()

    chosen = _chosen_layers(model, layer_types, names)
    extractor = keras.Model(model.inputs, [layer.output for layer in chosen], name="features")
    outputs = extractor.predict(np.asarray(x, dtype=np.float32), verbose=0)
    if not isinstance(outputs, list | tuple):
        outputs = [outputs]
    return {layer.name: np.asarray(out) for layer, out in zip(chosen, outputs, strict=True)}


def nearest_kernels(
    filters: ArrayLike, references: dict[str, ArrayLike]
) -> list[tuple[str, float]]:
    """For each filter (n, kh, kw), the reference kernel it is most (anti-)aligned with.

    Similarity is the cosine ``<f, K> / (|f| |K|)`` of the flattened kernels; the reference with
    the largest ``|cosine|`` wins and is returned with its signed cosine (a negative value means
    the filter is the reference's negative, e.g. an edge detector for the opposite direction).
    """
    filters = np.asarray(filters, dtype=np.float64)
    if filters.ndim != 3 or not references:
        raise InvalidInputError(
            f"need filters (n, kh, kw) and at least one reference, got {filters.shape}."
        )
    names = list(references)
    bank = np.stack([np.asarray(references[name], dtype=np.float64).ravel() for name in names])
    if bank.shape[1] != filters[0].size:
        raise InvalidInputError(
            f"references must have the filters' shape {filters.shape[1:]}, got {bank.shape[1]} "
            "values each."
        )
    flat = filters.reshape(len(filters), -1)
    norms = np.linalg.norm(flat, axis=1, keepdims=True) * np.linalg.norm(bank, axis=1)
    cosines = (flat @ bank.T) / np.where(norms == 0, 1.0, norms)
    best = np.abs(cosines).argmax(axis=1)
    return [(names[b], float(cosines[i, b])) for i, b in enumerate(best)]
