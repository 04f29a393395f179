"""How a face becomes a network input, and prediction with test-time averaging: one definition.

Training, evaluation, transfer learning and the recognizer all call :func:`to_model_input` and
:func:`predict_logits`, so what a model sees at serving time cannot drift from what it saw in
training, and softmax and flip averaging are written once.
"""

from __future__ import annotations

import numpy as np

from emostudy._quiet import tensorflow_warnings_silenced
from emostudy.data.classes import FACE_SIZE
from emostudy.errors import InvalidInputError


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


#: Test-time augmentations of :func:`predict_logits`, with their forward passes per face.
TTA_PASSES = {None: 1, "flip": 2, "ten_crop": 10}


def shift_images(x: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """``x`` (N, H, W[, C]) moved ``dy`` pixels down and ``dx`` right, edges repeated.

    For a model that centre-crops its input (:class:`~emostudy.models.layers.RandomFaceCrop`),
    a shift of ``(H - crop) / 2`` pixels puts a corner window of the face in the centre.
    """
    x = np.asarray(x)
    height, width = x.shape[1], x.shape[2]
    if abs(dy) >= height or abs(dx) >= width:
        raise InvalidInputError(f"A shift of ({dy}, {dx}) px leaves nothing of {height}x{width}.")
    pad = [(0, 0), (max(dy, 0), max(-dy, 0)), (max(dx, 0), max(-dx, 0))]
    pad += [(0, 0)] * (x.ndim - 3)
    padded = np.pad(x, pad, mode="edge")
    top, left = max(-dy, 0), max(-dx, 0)
    return padded[:, top : top + height, left : left + width]


def softmax(logits: np.ndarray, *, temperature: float = 1.0) -> np.ndarray:
    """Class probabilities (N, n_classes), float64: scipy's softmax of ``logits / temperature``.

    ``temperature`` > 1 softens the probabilities, < 1 sharpens them (calibration, distillation).
    """
    from scipy.special import softmax as scipy_softmax

    return scipy_softmax(np.asarray(logits, dtype=np.float64) / float(temperature), axis=1)


def forward(model, x: np.ndarray, *, batch_size: int = 512, direct: bool = False) -> np.ndarray:
    """One forward pass: logits (N, n_classes) of a Keras model or an inference engine.

    ``model`` is a Keras model (``model.predict``) or an engine of :mod:`emostudy.models.engines`
    (``engine.logits``, fed ``batch_size`` faces at a time so that memory stays bounded).
    ``direct=True`` calls a Keras model on each batch in inference mode instead of ``predict``:
    no prediction function is traced, which pays when many fresh models each predict once.
    """
    if direct and not hasattr(model, "logits"):
        parts = [
            np.asarray(model(x[start : start + batch_size], training=False))
            for start in range(0, len(x), batch_size)
        ]
        if not parts:
            return np.zeros((0, model.output_shape[-1]), np.float32)
        return _checked_logits(np.concatenate(parts), len(x))
    if hasattr(model, "logits"):
        parts = [
            np.asarray(model.logits(x[start : start + batch_size]))
            for start in range(0, len(x), batch_size)
        ]
        if not parts:
            return np.zeros((0, 0), dtype=np.float32)
        return _checked_logits(np.concatenate(parts), len(x))
    if not callable(getattr(model, "predict", None)):
        raise InvalidInputError(
            f"model must be a Keras model or an inference engine, got {type(model).__name__}."
        )
    # Many fresh models predicting once each (experiments, folds) retrace Keras' predict function
    # by design; TensorFlow's "triggered tf.function retracing" warning is silenced here.
    with tensorflow_warnings_silenced():
        logits = np.asarray(model.predict(x, batch_size=batch_size, verbose=0))
    return _checked_logits(logits, len(x))


def _checked_logits(logits: np.ndarray, n: int) -> np.ndarray:
    """A model's output, refused unless it is ``(n, n_classes)`` finite numbers."""
    if logits.ndim != 2 or logits.shape[0] != n:
        raise InvalidInputError(
            f"The model returned shape {logits.shape} for {n} faces; an emotion model must return "
            f"(N, n_classes) logits, e.g. ({n}, 7). Check its last layer."
        )
    finite = np.isfinite(logits)
    if not finite.all():
        bad = int((~finite).any(axis=1).sum())
        raise InvalidInputError(
            f"The model returned NaN or inf for {bad} of {n} faces: its weights are damaged or "
            "training diverged. Reload or retrain the model (the probabilities would be NaN)."
        )
    return logits


def predict_logits(
    model,
    x: np.ndarray,
    *,
    batch_size: int = 512,
    flip_tta: bool = False,
    tta: str | None = None,
    shift: int = 2,
    direct: bool = False,
) -> np.ndarray:
    """Logits (N, n_classes) of ``model`` on ``x`` (N, H, W, C), optionally averaged over views.

    Parameters
    ----------
    tta
        None: one pass. ``"flip"``: the mean over the face and its mirror (2 passes).
        ``"ten_crop"``: the mean over five windows (centre and the four corners, made by
        shifting the face ``shift`` pixels diagonally, see :func:`shift_images`) and their
        mirrors (10 passes), the test-time averaging of the strongest published FER-2013
        results. For a model trained on random 44-pixel crops of 48-pixel faces, ``shift=2``
        gives exactly the five 44-pixel windows.
    flip_tta
        Same as ``tta="flip"`` (kept for callers that pass a boolean).
    shift
        Pixels of the corner shifts of ``"ten_crop"``.
    direct
        Call a Keras model directly on each batch instead of ``predict`` (see :func:`forward`).
    """
    if flip_tta:
        if tta not in (None, "flip"):
            raise InvalidInputError(f"flip_tta=True contradicts tta={tta!r}; pass only tta.")
        tta = "flip"
    return predict_logits_by_tta(
        model, x, up_to=tta, batch_size=batch_size, shift=shift, direct=direct
    )[tta]


def predict_logits_by_tta(
    model,
    x: np.ndarray,
    *,
    up_to: str | None = "ten_crop",
    batch_size: int = 512,
    shift: int = 2,
    direct: bool = False,
) -> dict[str | None, np.ndarray]:
    """Logits (N, n_classes) under every test-time setting up to ``up_to``, from one set of passes.

    The settings nest (a single pass is the centre view, flip adds its mirror, ten-crop adds four
    shifted pairs), so scoring a model in all three settings costs the passes of the last one:
    10 instead of 13. Each array equals :func:`predict_logits` with that ``tta``, to the bit.

    Returns
    -------
    dict
        ``{None: ..., "flip": ..., "ten_crop": ...}``, cut after ``up_to``.
    """
    if up_to not in TTA_PASSES:
        raise InvalidInputError(f"Unknown tta {up_to!r}; choose one of {list(TTA_PASSES)}.")

    def run(images):
        return forward(model, images, batch_size=batch_size, direct=direct)

    x = np.asarray(x)
    centre = run(x)
    logits = {None: centre / 1}
    if up_to is None:
        return logits
    total = centre + run(x[:, :, ::-1])
    logits["flip"] = total / 2
    if up_to == "flip":
        return logits
    for dy, dx in [(dy, dx) for dy in (-shift, shift) for dx in (-shift, shift)]:
        view = shift_images(x, dy, dx)
        total = total + (run(view) + run(view[:, :, ::-1]))
    logits["ten_crop"] = total / 10
    return logits


def predict_ensemble_logits(
    models, x: np.ndarray, *, batch_size: int = 512, tta: str | None = None
) -> np.ndarray:
    """The mean of :func:`predict_logits` over ``models`` (an ensemble), each with ``tta``.

    Costs ``len(models) * TTA_PASSES[tta]`` forward passes per face.
    """
    models = list(models)
    if not models:
        raise InvalidInputError("An ensemble needs at least one model.")
    return np.mean([predict_logits(m, x, batch_size=batch_size, tta=tta) for m in models], axis=0)
