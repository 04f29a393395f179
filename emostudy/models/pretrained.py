"""The emotion models shipped inside the package, and how to use them.

The default, ``ferplus_vgg_lite_v6``, learnt from the FER+ votes of ten annotators per image (8
classes, FER-2013's 7 plus ``contempt``; calibrated probabilities): chapter 9's headline model
``fer2013_vgg_lite_v3`` with its last two blocks fine-tuned and a new head trained on the vote
shares (``emostudy.book.votes``), selected on ``PublicTest``'s majority, scored once on
``PrivateTest``.
The FER-2013-label models (``fer2013_vgg_lite``, ``_v3``, ``_v4``; 7 classes) stay selectable by
name. Each model's card (``weights/<name>.md``, also in the book) gives the data, protocol,
metrics and known limitations; ``weights/<name>.json`` the numbers and the class list::

    from emostudy.models.pretrained import load_emotion_model, model_classes, predict_emotions
    probabilities = predict_emotions(faces)  # (N, len(model_classes())), columns model_classes()
"""

from __future__ import annotations

import json
import warnings
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from emostudy._quiet import import_keras
from emostudy._validation import check_int
from emostudy.data.classes import FER_CLASSES, FERPLUS_CLASSES
from emostudy.errors import InvalidInputError, ModelNotFoundError
from emostudy.models.inputs import LOW_INFORMATION_STD, low_information, softmax, to_model_input

#: Name of the model that :func:`load_emotion_model` loads by default.
DEFAULT_EMOTION_MODEL = "ferplus_vgg_lite_v6"


class LowInformationFaceWarning(UserWarning):
    """Some faces given to :func:`predict_emotions` are blank: their predictions mean nothing."""


def classes_for_outputs(n_outputs: int) -> tuple[str, ...]:
    """The class names of an emotion model with ``n_outputs`` outputs and no card: FER-2013's 7
    (:data:`~emostudy.data.FER_CLASSES`) or FER+'s 8 (:data:`~emostudy.data.FERPLUS_CLASSES`)."""
    lists = {len(FER_CLASSES): FER_CLASSES, len(FERPLUS_CLASSES): FERPLUS_CLASSES}
    if n_outputs not in lists:
        raise InvalidInputError(
            f"An emotion model must output 7 (FER-2013) or 8 (FER+) class scores, this one "
            f"outputs {n_outputs}."
        )
    return lists[n_outputs]


def model_classes(name: str = DEFAULT_EMOTION_MODEL) -> tuple[str, ...]:
    """The class names, in output order, of shipped model ``name`` (from its card)."""
    return tuple(model_card(name).get("classes", FER_CLASSES))


def shipped_models() -> list[str]:
    """Names of the emotion models shipped in the package."""
    return sorted(path.stem for path in weights_dir().glob("*.keras"))


def model_path(name: str = DEFAULT_EMOTION_MODEL) -> Path:
    """Path of a shipped model's ``.keras`` file; a clear error names the available ones."""
    _check_model_name(name)
    path = weights_dir() / f"{name}.keras"
    if not path.is_file():
        raise ModelNotFoundError(
            f"No shipped emotion model named {name!r}; available: {shipped_models() or 'none'}. "
            "Reinstall the package (pip install -e .) if the list is empty."
        )
    return path


def _check_model_name(name: Any) -> None:
    if not isinstance(name, str):
        raise InvalidInputError(
            f"A shipped model is named by a string such as {DEFAULT_EMOTION_MODEL!r}, got "
            f"{type(name).__name__} {name!r}"[:200]
            + "."
        )
    if "/" in name or "\\" in name or name.endswith((".keras", ".onnx", ".tflite")):
        raise InvalidInputError(
            f"{name!r} is a file path, not a shipped model name (available: "
            f"{shipped_models()}). Load a model file with EmotionRecognizer(model=path) or "
            "emostudy.models.engines.load_keras_file(path)."
        )


def model_card(name: str = DEFAULT_EMOTION_MODEL) -> dict[str, Any]:
    """The recorded facts of a shipped model (``<name>.json``): recipe, data, metrics, timings."""
    path = model_path(name).with_suffix(".json")
    return json.loads(path.read_text())


def load_emotion_model(name: str = DEFAULT_EMOTION_MODEL):
    """Load a shipped emotion model (Keras, float32; logits over the 7 FER-2013 classes).

    The model is cached: every call with the same name returns the same object. The name is
    checked before the cache is consulted, so a list or a file path gets a clear error.
    """
    _check_model_name(name)
    return _load_shipped(name)


@cache
def _load_shipped(name: str):
    keras = import_keras()

    import emostudy.models.layers  # noqa: F401  (registers the custom layers for loading)

    return keras.models.load_model(model_path(name), compile=False)


def predict_emotions(
    faces: np.ndarray,
    model: Any = None,
    *,
    flip_tta: bool = True,
    batch_size: int = 512,
) -> np.ndarray:
    """Class probabilities ``(N, K)`` for 48x48 grayscale faces: ``K`` and the column order are the
    model's class list (:func:`model_classes`; 8 FER+ classes for the default, 7 FER-2013 ones for
    the ``fer2013_*`` models, :func:`classes_for_outputs` for a model without a card).

    Parameters
    ----------
    faces
        uint8 faces, (N, 48, 48, 1), (N, 48, 48), or a single face (48, 48) or (48, 48, 1) (gray
        levels 0..255, cropped and resized as in FER-2013). ``N = 0`` gives a ``(0, K)`` array.
    model
        A Keras logits model; default :func:`load_emotion_model`.
    flip_tta
        Average the logits of each face and its mirror image (the shipped model's reported
        setting).
    batch_size
        Faces per forward pass (a positive integer).

    Warns
    -----
    LowInformationFaceWarning
        When some faces are blank or nearly so (pixel standard deviation under 2 gray levels):
        the model still returns confident-looking probabilities for them, which mean nothing.
        :func:`emostudy.models.inputs.low_information` flags them, to drop or mark them.
    """
    from emostudy.models.inputs import predict_logits

    batch_size = check_int("batch_size", batch_size, minimum=1)
    if model is not None and not callable(getattr(model, "predict", None)):
        raise InvalidInputError(
            f"model must be a Keras model (see load_emotion_model), got {type(model).__name__}."
        )
    x = to_model_input(faces)
    if len(x) == 0:
        n_classes = len(model_classes()) if model is None else int(model.output_shape[-1])
        return np.zeros((0, n_classes), dtype=np.float32)
    blank = low_information(faces)
    if blank.any():
        warnings.warn(
            f"{int(blank.sum())} of {len(x)} faces are blank or nearly uniform (pixel std < "
            f"{LOW_INFORMATION_STD:g} gray levels); their predicted emotions mean nothing. Find "
            "them with emostudy.models.inputs.low_information(faces).",
            LowInformationFaceWarning,
            stacklevel=2,
        )
    logits = predict_logits(
        model if model is not None else load_emotion_model(),
        x,
        batch_size=batch_size,
        flip_tta=flip_tta,
    )
    return softmax(logits)


def weights_dir() -> Path:
    """The folder inside the installed package that holds the shipped models and their cards."""
    return Path(str(resources.files("emostudy.models") / "weights"))


def training_log(name: str = DEFAULT_EMOTION_MODEL):
    """The per-epoch training log of a shipped model (``<name>.log.csv``) as a DataFrame.

    Index: epoch (1-based); columns as written by :func:`emostudy.training.train` (``accuracy``,
    ``val_accuracy``, ``loss``, ``val_loss``, ``lr``, ``seconds``...).
    """
    from emostudy.models.logs import read_training_log

    return read_training_log(model_path(name).with_suffix(".log.csv"))
