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
        uint8 array of shape (N, 48, 48, 1), (N, 48, 48) or a single face (48, 48).
        Float input is refused rather than guessed at: 0..1 and 0..255 floats look alike.
    """
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise InvalidInputError(
            f"Faces must be uint8 pixel values 0..255, got dtype {images.dtype}. Convert with "
            "np.clip(x, 0, 255).astype(np.uint8) (multiply by 255 first if x is in 0..1)."
        )
    if images.ndim == 2:
        images = images[None]
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[1:] != (FACE_SIZE, FACE_SIZE, 1):
        raise InvalidInputError(
            f"Faces must have shape (N, {FACE_SIZE}, {FACE_SIZE}, 1) (grayscale), got "
            f"{images.shape}. Crop and resize faces to {FACE_SIZE}x{FACE_SIZE} grayscale first."
        )
    return images.astype(np.float32) / 255.0
