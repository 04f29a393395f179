"""The one definition of how a face image becomes a network input.

Training, evaluation and the recognizer all call :func:`to_model_input`, so what a model sees at
serving time cannot drift from what it saw in training.
"""

from __future__ import annotations

import numpy as np

from emostudy.errors import InvalidInputError

FACE_SIZE = 48  # pixels, height = width of the grayscale face crops every model takes


def to_model_input(images: np.ndarray) -> np.ndarray:
    """Scale uint8 grayscale faces to float32 in [0, 1], shape (N, 48, 48, 1).

    Parameters
    ----------
    images
        uint8 array of shape (N, 48, 48, 1), (N, 48, 48), or a single face (48, 48) or
        (48, 48, 1); N may be 0. Float input is refused rather than guessed at: 0..1 and 0..255
        floats look alike. Colour faces are refused with a hint to convert them to grayscale.
    """
    if not isinstance(images, np.ndarray | list | tuple):
        raise InvalidInputError(
            f"Faces must be a uint8 NumPy array of shape (N, {FACE_SIZE}, {FACE_SIZE}, 1), got "
            f"{type(images).__name__}."
        )
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise InvalidInputError(
            f"Faces must be uint8 pixel values 0..255, got dtype {images.dtype}. Convert with "
            "np.clip(x, 0, 255).astype(np.uint8) (multiply by 255 first if x is in 0..1)."
        )
    rgb = images.ndim in (3, 4) and images.shape[-3:] == (FACE_SIZE, FACE_SIZE, 3)
    if rgb:
        raise InvalidInputError(
            f"Faces must be grayscale, got colour faces of shape {images.shape}. Convert them "
            "to grayscale first, e.g. cv2.cvtColor(face, cv2.COLOR_BGR2GRAY) for each face (or "
            "COLOR_RGB2GRAY for RGB)."
        )
    if images.shape in ((FACE_SIZE, FACE_SIZE), (FACE_SIZE, FACE_SIZE, 1)):  # one face
        images = images[None]
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[1:] != (FACE_SIZE, FACE_SIZE, 1):
        raise InvalidInputError(
            f"Faces must have shape (N, {FACE_SIZE}, {FACE_SIZE}, 1) (grayscale), got "
            f"{images.shape}. Crop and resize faces to {FACE_SIZE}x{FACE_SIZE} grayscale first."
        )
    return images.astype(np.float32) / 255.0


#: Faces whose pixel standard deviation is below this (gray levels) carry no expression: blank,
#: all black or all white crops. The data audit uses the same threshold for blank images.
LOW_INFORMATION_STD = 2.0


def low_information(images: np.ndarray, *, min_std: float = LOW_INFORMATION_STD) -> np.ndarray:
    """``(N,)`` bool: faces too uniform to show an expression (pixel std below ``min_std``).

    A model still returns probabilities for such a face (the shipped model calls a blank face
    "angry" with high confidence): those numbers mean nothing, so check this first.
    """
    x = to_model_input(images)
    return x.reshape(len(x), -1).std(axis=1) * 255.0 < min_std
