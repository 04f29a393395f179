"""Convolution and pooling in plain NumPy, laid out like Keras (channels last).

Shapes: images ``x`` are (N, H, W, C) — batch, height, width, channels; kernels are
(kh, kw, C_in, C_out), the layout of ``keras.layers.Conv2D.get_weights()[0]``.

Like every deep-learning library, :func:`conv2d` computes a *cross-correlation* (the kernel is not
flipped): ``out[n, i, j, o] = b[o] + sum_{u, v, c} x[n, i*s + u, j*s + v, c] * K[u, v, c, o]``.

Implementation: instead of four nested loops over output pixels, we loop only over the ``kh * kw``
kernel positions ``(u, v)``. For a fixed ``(u, v)``, the input pixels that meet kernel entry
``K[u, v]`` form a strided slice of ``x`` of the output's size, so their contribution to every
output pixel at once is one matrix product ``slice @ K[u, v]``, (N, H', W', C_in) @ (C_in, C_out).
Summing the ``kh * kw`` products gives the convolution. (im2col does the same sums in one big
matrix product by copying all slices side by side first.)

Padding follows Keras/TensorFlow: ``"valid"`` = none; ``"same"`` pads so that
``H' = ceil(H / stride)``, putting the extra row/column (if the total is odd) at the bottom/right.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from emostudy.errors import InvalidInputError

FloatArray = NDArray[np.float64]
Padding = str | int


def output_size(n: int, k: int, stride: int = 1, padding: Padding = "valid") -> int:
    """Length of the output along one axis for input length ``n`` and window ``k``.

    ``"valid"``: ``floor((n - k) / stride) + 1``; ``"same"``: ``ceil(n / stride)`` (Keras);
    an int ``p`` (zero padding on both sides): ``floor((n + 2p - k) / stride) + 1``.
    """
    if n < 1 or k < 1 or stride < 1:
        raise InvalidInputError(f"need n, k, stride >= 1, got n={n}, k={k}, stride={stride}.")
    if padding == "same":
        return math.ceil(n / stride)
    pad = _explicit_pad(padding)
    if n + 2 * pad < k:
        raise InvalidInputError(f"window {k} is larger than the (padded) input {n + 2 * pad}.")
    return (n + 2 * pad - k) // stride + 1


def _explicit_pad(padding: Padding) -> int:
    if padding == "valid":
        return 0
    if isinstance(padding, int | np.integer) and not isinstance(padding, bool) and padding >= 0:
        return int(padding)
    raise InvalidInputError(f"padding must be 'valid', 'same' or an int >= 0, got {padding!r}.")


def _pad_amounts(n: int, k: int, stride: int, padding: Padding) -> tuple[int, int]:
    """(before, after) padding along one axis."""
    if padding == "same":
        total = max((math.ceil(n / stride) - 1) * stride + k - n, 0)
        return total // 2, total - total // 2
    pad = _explicit_pad(padding)
    return pad, pad


def _check_images(x: ArrayLike) -> FloatArray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 4:
        raise InvalidInputError(f"x must have shape (N, H, W, C), got {x.shape}.")
    return x


def _pad(x: FloatArray, pads: tuple[tuple[int, int], tuple[int, int]], value: float) -> FloatArray:
    if pads == ((0, 0), (0, 0)):
        return x
    return np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)), constant_values=value)


def _window_slice(x: FloatArray, u: int, v: int, out_h: int, out_w: int, stride: int) -> FloatArray:
    """``x[:, u + i*stride, v + j*stride, :]`` for all output positions (i, j)."""
    return x[
        :, u : u + (out_h - 1) * stride + 1 : stride, v : v + (out_w - 1) * stride + 1 : stride, :
    ]


def conv2d(
    x: ArrayLike,
    kernels: ArrayLike,
    bias: ArrayLike | None = None,
    stride: int = 1,
    padding: Padding = "valid",
) -> FloatArray:
    """2-D cross-correlation of a batch of images with a bank of kernels (see module docstring).

    Parameters
    ----------
    x
        Images, shape (N, H, W, C_in).
    kernels
        Shape (kh, kw, C_in, C_out).
    bias
        Shape (C_out,), or None for no bias.
    stride
        Step between windows (pixels), the same along both axes.
    padding
        ``"valid"``, ``"same"`` (Keras semantics) or an int of zeros on every side.

    Returns
    -------
    numpy.ndarray
        float64 (N, H', W', C_out), with H', W' given by :func:`output_size`.
    """
    x = _check_images(x)
    kernels = np.asarray(kernels, dtype=np.float64)
    if kernels.ndim != 4 or kernels.shape[2] != x.shape[3]:
        raise InvalidInputError(
            f"kernels must have shape (kh, kw, {x.shape[3]}, C_out) for x with {x.shape[3]} "
            f"channels, got {kernels.shape}."
        )
    kh, kw, _, c_out = kernels.shape
    _, h, w, _ = x.shape
    out_h, out_w = output_size(h, kh, stride, padding), output_size(w, kw, stride, padding)
    x = _pad(x, (_pad_amounts(h, kh, stride, padding), _pad_amounts(w, kw, stride, padding)), 0.0)
    out = np.zeros((x.shape[0], out_h, out_w, c_out))
    for u in range(kh):
        for v in range(kw):
            # Every output pixel's window has x[.., u, v, :] at this slice; weight it by K[u, v].
            out += _window_slice(x, u, v, out_h, out_w, stride) @ kernels[u, v]
    if bias is not None:
        bias = np.asarray(bias, dtype=np.float64)
        if bias.shape != (c_out,):
            raise InvalidInputError(f"bias must have shape ({c_out},), got {bias.shape}.")
        out += bias
    return out


def _pool(x: ArrayLike, pool: int, stride: int | None, padding: Padding, kind: str) -> FloatArray:
    x = _check_images(x)
    stride = pool if stride is None else stride
    if padding not in ("valid", "same"):
        raise InvalidInputError(f"pooling padding must be 'valid' or 'same', got {padding!r}.")
    _, h, w, _ = x.shape
    out_h, out_w = output_size(h, pool, stride, padding), output_size(w, pool, stride, padding)
    pads = (_pad_amounts(h, pool, stride, padding), _pad_amounts(w, pool, stride, padding))
    if kind == "max":
        # Pad with -inf so padded cells never win the max.
        x = _pad(x, pads, -np.inf)
        out = np.full((x.shape[0], out_h, out_w, x.shape[3]), -np.inf)
        for u in range(pool):
            for v in range(pool):
                out = np.maximum(out, _window_slice(x, u, v, out_h, out_w, stride))
        return out
    # Average: like Keras, padded cells are left out of the mean, so divide by the number of
    # real cells in each window (computed by pooling an image of ones).
    ones = _pad(np.ones((1, h, w, 1)), pads, 0.0)
    x = _pad(x, pads, 0.0)
    total = np.zeros((x.shape[0], out_h, out_w, x.shape[3]))
    count = np.zeros((1, out_h, out_w, 1))
    for u in range(pool):
        for v in range(pool):
            total += _window_slice(x, u, v, out_h, out_w, stride)
            count += _window_slice(ones, u, v, out_h, out_w, stride)
    return total / count


def max_pool2d(
    x: ArrayLike, pool: int = 2, stride: int | None = None, padding: Padding = "valid"
) -> FloatArray:
    """Max over each ``pool x pool`` window, per channel; ``stride`` defaults to ``pool``.

    Shape (N, H, W, C) -> (N, H', W', C) with H' = :func:`output_size` (H, pool, stride, padding),
    like ``keras.layers.MaxPooling2D``.
    """
    return _pool(x, pool, stride, padding, "max")


def avg_pool2d(
    x: ArrayLike, pool: int = 2, stride: int | None = None, padding: Padding = "valid"
) -> FloatArray:
    """Mean over each ``pool x pool`` window, per channel (like ``keras.layers.AveragePooling2D``;
    with ``"same"`` padding, padded cells are excluded from the mean)."""
    return _pool(x, pool, stride, padding, "avg")


def receptive_field(layers: Iterable[tuple[int, int]]) -> int:
    """Receptive field, in input pixels along one axis, of a stack of ``(kernel, stride)`` layers.

    Each layer widens the field by ``(kernel - 1) * jump``, where ``jump`` (the product of the
    strides before it) is the distance in input pixels between neighbouring units of its input.
    Example: three 3x3 convolutions -> 7; conv3, pool2 (stride 2), conv3 -> 8.
    """
    field, jump = 1, 1
    for kernel, stride in layers:
        if kernel < 1 or stride < 1:
            raise InvalidInputError(f"kernel and stride must be >= 1, got ({kernel}, {stride}).")
        field += (kernel - 1) * jump
        jump *= stride
    return field


def conv_params(kh: int, kw: int, c_in: int, c_out: int, bias: bool = True) -> int:
    """Trainable parameters of a Conv2D layer: ``kh * kw * c_in * c_out`` (+ ``c_out`` biases)."""
    return kh * kw * c_in * c_out + (c_out if bias else 0)


def dense_params(n_in: int, n_out: int, bias: bool = True) -> int:
    """Trainable parameters of a Dense layer: ``n_in * n_out`` (+ ``n_out`` biases)."""
    return n_in * n_out + (n_out if bias else 0)


def filter_image(image: ArrayLike, kernel: ArrayLike, padding: Padding = "same") -> FloatArray:
    """Cross-correlate one grayscale image (H, W) with one 2-D kernel (kh, kw); returns float64.

    A convenience wrapper around :func:`conv2d` for showing :data:`CLASSIC_KERNELS` at work.
    """
    image = np.asarray(image, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    if image.ndim != 2 or kernel.ndim != 2:
        raise InvalidInputError(
            f"image and kernel must both be 2-D, got shapes {image.shape} and {kernel.shape}."
        )
    return conv2d(image[None, :, :, None], kernel[:, :, None, None], padding=padding)[0, :, :, 0]


def _classic_kernels() -> dict[str, FloatArray]:
    kernels = {
        # Output = input.
        "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=np.float64),
        # 3x3 binomial (Gaussian-like) blur; the weights sum to 1 so brightness is kept.
        "blur": np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], dtype=np.float64) / 16.0,
        # Identity plus a negated Laplacian: boosts edges; sums to 1.
        "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=np.float64),
        # Horizontal gradient: dark-to-bright from left to right gives a positive response.
        "sobel_x": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float64),
        # Vertical gradient: dark-to-bright from top to bottom gives a positive response.
        "sobel_y": np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=np.float64),
        # Second derivative: 0 on flat areas and linear ramps, large at edges and spots.
        "laplacian": np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=np.float64),
    }
    for kernel in kernels.values():
        kernel.flags.writeable = False  # shared constants: copy before modifying
    return kernels


#: Classic 3x3 image-processing kernels (float64), for cross-correlation as in :func:`conv2d`.
CLASSIC_KERNELS: dict[str, FloatArray] = _classic_kernels()
