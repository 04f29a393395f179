"""What a model costs per face: multiply-accumulates of its convolutions and dense layers."""

from __future__ import annotations

import numpy as np

from emostudy._quiet import import_keras


def macs_per_image(model) -> int:
    """Multiply-accumulate operations (MACs) of one forward pass of ``model`` on one image.

    Counts the layers that dominate a CNN's cost: ``Conv2D`` (output height x width x kernel
    height x width x input channels x filters), ``DepthwiseConv2D`` and ``Dense`` (inputs x
    units), recursing into nested models. Normalisation, activations and pooling (a few
    operations per value) are left out. A FLOP count is about twice the MACs. Layers must have
    known output shapes (a model built on a fixed input size).
    """
    keras = import_keras()

    total = 0
    for layer in _layers(model):
        if isinstance(layer, keras.layers.DepthwiseConv2D):
            out = layer.output.shape
            kh, kw = layer.kernel_size
            total += int(np.prod(out[1:3])) * kh * kw * int(out[-1])
        elif isinstance(layer, keras.layers.Conv2D):
            out = layer.output.shape
            kh, kw = layer.kernel_size
            channels_in = int(layer.input.shape[-1])
            total += int(np.prod(out[1:3])) * kh * kw * channels_in * layer.filters
        elif isinstance(layer, keras.layers.Dense):
            total += int(layer.input.shape[-1]) * layer.units
    return total


def _layers(model):
    keras = import_keras()

    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _layers(layer)
        else:
            yield layer
