"""Export an emotion model to ONNX (``tf2onnx``) and TFLite, and measure output parity.

ONNX export needs ``tf2onnx`` and ``onnx`` (``pip install tf2onnx onnx``); TFLite export uses the
converter inside TensorFlow. Both trace the model at inference (``training=False``) with a
dynamic batch dimension. :func:`parity` compares an exported file with the Keras model on the
same faces, so that every export is shipped with its measured difference.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from emostudy._quiet import import_tensorflow, python_output_silenced
from emostudy.data.classes import FACE_SIZE
from emostudy.errors import InvalidInputError, ModelNotFoundError
from emostudy.models.engines import (
    SOURCE_SHA_KEY,
    KerasEngine,
    OnnxEngine,
    TFLiteEngine,
    file_sha256,
)
from emostudy.models.inputs import softmax, to_model_input

#: Largest absolute logit difference accepted between an export and the Keras model.
PARITY_TOLERANCE = 1e-4


#: Opset of the ONNX export (supported by every ONNX Runtime since 1.14).
ONNX_OPSET = 17


def export_onnx(
    model: Any,
    path: str | os.PathLike,
    *,
    source: str | os.PathLike | None = None,
) -> Path:
    """Write a Keras emotion model as an ONNX file with a dynamic batch dimension.

    Parameters
    ----------
    model
        A Keras model taking ``(N, 48, 48, 1)`` float32 input.
    path
        The ``.onnx`` file to write (its folder is created).
    source
        The ``.keras`` file the model was loaded from: its SHA-256 is stored in the ONNX metadata
        (key :data:`~emostudy.models.engines.SOURCE_SHA_KEY`), so a stale export is detected.
    """
    try:
        import tf2onnx
    except ImportError:
        raise ModelNotFoundError(
            "ONNX export needs tf2onnx and onnx: pip install tf2onnx onnx (TFLite export works "
            "without them: --format tflite)."
        ) from None
    tf = import_tensorflow()

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    shape = [None, *model.input_shape[1:]]
    spec = [tf.TensorSpec(shape, tf.float32, name="faces")]
    function = tf.function(lambda faces: model(faces, training=False))
    proto, _ = tf2onnx.convert.from_function(function, input_signature=spec, opset=ONNX_OPSET)
    if source is not None:
        import onnx

        onnx.helper.set_model_props(proto, {SOURCE_SHA_KEY: file_sha256(source)})
    path.write_bytes(proto.SerializeToString())
    return path


def export_tflite(model: Any, path: str | os.PathLike) -> Path:
    """Write a Keras emotion model as a float32 TFLite file (TensorFlow's converter)."""
    tf = import_tensorflow()

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The converter prints its saved signature, and logs "Assets written to: <tmp>" through
    # TensorFlow's logger (INFO, to stderr).
    with python_output_silenced("tensorflow", "absl"):
        converter = tf.lite.TFLiteConverter.from_keras_model(model)
        flatbuffer = converter.convert()
    path.write_bytes(flatbuffer)
    return path


def parity(
    model: Any,
    exported: str | os.PathLike,
    faces: np.ndarray | None = None,
    *,
    seed: int = 0,
) -> dict[str, float]:
    """Compare an exported ``.onnx``/``.tflite`` file with the Keras model on the same faces.

    Parameters
    ----------
    faces
        uint8 faces ``(N, 48, 48)``; default 64 seeded random-noise faces (enough to exercise
        every weight, not a substitute for real faces).

    Returns
    -------
    dict
        ``max_abs_logit_diff``, ``max_abs_probability_diff``, ``argmax_agreement`` (fraction of
        faces with the same predicted class) and ``n_faces``.
    """
    if faces is None:
        rng = np.random.default_rng(seed)
        faces = rng.integers(0, 256, (64, FACE_SIZE, FACE_SIZE), dtype=np.uint8)
    x = to_model_input(faces)
    suffix = Path(exported).suffix.lower()
    if suffix not in (".onnx", ".tflite"):
        raise InvalidInputError(f"Expected an .onnx or .tflite file, got {exported}.")
    engine = OnnxEngine(exported) if suffix == ".onnx" else TFLiteEngine(exported)
    reference = KerasEngine(model, mode="call").logits(x)
    other = engine.logits(x)
    return {
        "max_abs_logit_diff": float(np.abs(reference - other).max()),
        "max_abs_probability_diff": float(np.abs(softmax(reference) - softmax(other)).max()),
        "argmax_agreement": float(np.mean(reference.argmax(1) == other.argmax(1))),
        "n_faces": int(len(x)),
    }
