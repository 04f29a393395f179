"""Ways to run an emotion model on a batch of faces, all with one small interface.

An *engine* turns float32 model input ``(N, 48, 48, 1)`` (from
:func:`emostudy.models.inputs.to_model_input`) into ``(N, 7)`` logits. The same Keras model can run
four ways, with very different costs for the one or few faces of a video frame (chapter 12 times
them and checks their outputs against each other):

==============  ===========================================================================
``predict``     ``model.predict``: Keras' batch loop; general, but slow for small batches
``call``        ``model(x, training=False)``: an eager call, op by op
``compiled``    a ``tf.function`` traced once per batch size: one graph call
``onnx``        an ONNX Runtime session on the model exported with ``tf2onnx``
``tflite``      a TFLite interpreter on the model converted by TensorFlow's converter
==============  ===========================================================================

The package ships the default model exported to ONNX (``models/weights``, beside the Keras
files), so the recognizer runs on ONNX Runtime without importing TensorFlow at all. The ONNX file
records the SHA-256 of the ``.keras`` file it was exported from; :func:`shipped_onnx_path`
refuses a stale export.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from emostudy._quiet import import_keras, import_tensorflow, native_stderr_silenced
from emostudy.errors import InvalidInputError, ModelNotFoundError
from emostudy.models.pretrained import classes_for_outputs

#: Engine names, fastest first as measured in chapter 12 (the order ``"auto"`` tries).
ENGINES = ("onnx", "compiled", "tflite", "call", "predict")


#: ONNX metadata key holding the SHA-256 of the source ``.keras`` file.
SOURCE_SHA_KEY = "emostudy_source_sha256"


class Engine(Protocol):
    """What the recognizer needs from an engine."""

    name: str
    #: Number of outputs, and the class names in output order (7 FER-2013 or 8 FER+ classes).
    n_classes: int
    classes: tuple[str, ...]

    def logits(self, x: np.ndarray) -> np.ndarray:
        """``(N, n_classes)`` float32 logits for float32 input ``(N, 48, 48, 1)``."""


class KerasEngine:
    """A Keras model run with ``predict``, a direct call, or a compiled ``tf.function``."""

    def __init__(self, model: Any, *, mode: str = "compiled") -> None:
        if mode not in ("predict", "call", "compiled"):
            raise InvalidInputError(
                f"Keras engine mode must be 'predict', 'call' or 'compiled', got {mode!r}."
            )
        self.model = model
        self.name = mode
        self.n_classes = int(model.output_shape[-1])
        self.classes: tuple[str, ...] = classes_for_outputs(self.n_classes)
        self._function = None
        if mode == "compiled":
            tf = import_tensorflow()

            self._function = tf.function(
                lambda faces: model(faces, training=False), reduce_retracing=True
            )

    def logits(self, x: np.ndarray) -> np.ndarray:
        """Logits ``(N, n_classes)`` float32 for model inputs ``x`` ``(N, 48, 48, 1)`` float32."""
        if len(x) == 0:
            return np.zeros((0, int(self.model.output_shape[-1])), dtype=np.float32)
        if self.name == "predict":
            return np.asarray(self.model.predict(x, verbose=0), dtype=np.float32)
        if self.name == "call":
            return np.asarray(self.model(x, training=False), dtype=np.float32)
        return np.asarray(self._function(x), dtype=np.float32)


class OnnxEngine:
    """An ONNX Runtime session on an exported model (``.onnx`` file).

    Parameters
    ----------
    path
        The ``.onnx`` file.
    threads
        ONNX Runtime intra-op threads (``None``: its default, one per core).
    spinning
        Let ONNX Runtime's idle threads spin-wait for the next call (its default). Off here: in a
        pipeline the detector runs between two calls, and spinning threads would take the cores
        it needs (chapter 12 measured frames several times slower on a busy 2-core machine).
    """

    name = "onnx"

    def __init__(
        self, path: str | os.PathLike, *, threads: int | None = None, spinning: bool = False
    ) -> None:
        import onnxruntime

        path = Path(path)
        if not path.is_file():
            raise ModelNotFoundError(f"ONNX model file not found: {path}.")
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        if threads:
            options.intra_op_num_threads = int(threads)
        options.add_session_config_entry(
            "session.intra_op.allow_spinning", "1" if spinning else "0"
        )
        try:
            self._session = onnxruntime.InferenceSession(
                str(path), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as error:  # onnxruntime raises its own untyped errors
            raise ModelNotFoundError(
                f"ONNX Runtime cannot load {path}: {error}. Re-export it with `emostudy export`."
            ) from None
        self.path = path
        self._input = self._session.get_inputs()[0].name
        self.n_classes = int(self._session.get_outputs()[0].shape[-1])
        self.classes: tuple[str, ...] = classes_for_outputs(self.n_classes)

    def logits(self, x: np.ndarray) -> np.ndarray:
        """Logits ``(N, n_classes)`` float32 for model inputs ``x`` ``(N, 48, 48, 1)`` float32."""
        if len(x) == 0:
            return np.zeros((0, self.n_classes), dtype=np.float32)
        return self._session.run(None, {self._input: np.ascontiguousarray(x, np.float32)})[0]


class TFLiteEngine:
    """A TFLite interpreter on a converted model (``.tflite`` file), resized per batch size."""

    name = "tflite"

    def __init__(self, path: str | os.PathLike, *, threads: int = 2) -> None:
        import warnings

        tf = import_tensorflow()

        path = Path(path)
        if not path.is_file():
            raise ModelNotFoundError(f"TFLite model file not found: {path}.")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tf.lite.Interpreter's deprecation notice
            try:
                self._interpreter = tf.lite.Interpreter(model_path=str(path), num_threads=threads)
            except Exception as error:  # TFLite raises ValueError, or a UnicodeDecodeError
                raise ModelNotFoundError(  # while formatting its own message on a bad file
                    f"TFLite cannot load {path} ({type(error).__name__}): it is not a valid "
                    ".tflite model. Re-export it with `emostudy export`."
                ) from None
        self._input = self._interpreter.get_input_details()[0]["index"]
        self._output = self._interpreter.get_output_details()[0]["index"]
        self.n_classes = int(self._interpreter.get_output_details()[0]["shape"][-1])
        self.classes: tuple[str, ...] = classes_for_outputs(self.n_classes)
        self._batch = None
        self.path = path

    def logits(self, x: np.ndarray) -> np.ndarray:
        """Logits ``(N, n_classes)`` float32 for model inputs ``x`` ``(N, 48, 48, 1)`` float32."""
        n = len(x)
        if n == 0:
            shape = self._interpreter.get_output_details()[0]["shape"]
            return np.zeros((0, int(shape[-1])), dtype=np.float32)
        # The first allocation prints TFLite's "Created ... XNNPACK delegate" notice on fd 2.
        with native_stderr_silenced() if self._batch is None else contextlib.nullcontext():
            if self._batch != n:
                self._interpreter.resize_tensor_input(self._input, [n, *x.shape[1:]])
                self._interpreter.allocate_tensors()
                self._batch = n
            self._interpreter.set_tensor(self._input, np.ascontiguousarray(x, np.float32))
            self._interpreter.invoke()
        return self._interpreter.get_tensor(self._output).copy()


def file_sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def shipped_onnx_dir() -> Path:
    """Folder of the ONNX exports shipped with the package."""
    return Path(str(resources.files("emostudy.models") / "weights"))


@cache
def shipped_onnx_path(name: str) -> Path | None:
    """The shipped ONNX export of shipped model ``name``, or ``None`` if absent or stale.

    Stale means: its recorded source SHA-256 differs from the current ``.keras`` file's.
    """
    from emostudy.models.pretrained import model_path

    path = shipped_onnx_dir() / f"{name}.onnx"
    if not path.is_file():
        return None
    return path if onnx_source_sha256(path) == file_sha256(model_path(name)) else None


def onnx_source_sha256(path: str | os.PathLike) -> str | None:
    """The source SHA-256 recorded in an ONNX file's metadata by :func:`export_onnx`."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    session = onnxruntime.InferenceSession(
        str(path), sess_options=options, providers=["CPUExecutionProvider"]
    )
    return session.get_modelmeta().custom_metadata_map.get(SOURCE_SHA_KEY)


def create_engine(model: Any = None, engine: str = "auto") -> Engine:
    """An engine for ``model`` (a shipped model name, a ``.keras``/``.onnx``/``.tflite`` path, or
    a Keras model object; ``None``: the default shipped model).

    ``engine="auto"`` picks ONNX Runtime for ``.onnx`` files and for shipped models that have a
    current ONNX export, TFLite for ``.tflite`` files, and a compiled ``tf.function`` otherwise.
    """
    from emostudy.models.pretrained import DEFAULT_EMOTION_MODEL

    if engine != "auto" and engine not in ENGINES:
        raise InvalidInputError(f"Unknown engine {engine!r}; use 'auto' or one of {ENGINES}.")
    if model is None:
        model = DEFAULT_EMOTION_MODEL
    if not isinstance(model, str | os.PathLike) and not callable(getattr(model, "predict", None)):
        raise InvalidInputError(
            "model must be a shipped model name (see shipped_models()), a .keras/.onnx/.tflite "
            f"file path or a Keras model, got {type(model).__name__} {model!r}"[:240]
            + "."
        )
    if isinstance(model, str | os.PathLike):
        text = str(model)
        suffix = Path(text).suffix.lower()
        if suffix in (".onnx", ".tflite"):
            wanted = "onnx" if suffix == ".onnx" else "tflite"
            if engine not in ("auto", wanted):
                raise InvalidInputError(f"A {suffix} file runs only with engine {wanted!r}.")
            cls = OnnxEngine if suffix == ".onnx" else TFLiteEngine
            return cls(text)
        if suffix == ".keras":
            keras_model = load_keras_file(text)
        else:
            if engine in ("auto", "onnx"):
                onnx_path = shipped_onnx_path(text) if _is_shipped(text) else None
                if onnx_path is not None:
                    return OnnxEngine(onnx_path)
                if engine == "onnx":
                    raise ModelNotFoundError(
                        f"No current ONNX export of {text!r} ships with the package; write one "
                        "with `emostudy export` and pass its path as the model."
                    )
            if engine == "tflite":
                raise InvalidInputError("The tflite engine needs a .tflite file as the model.")
            from emostudy.models.pretrained import load_emotion_model

            keras_model = load_emotion_model(text)
    else:
        keras_model = model
        if engine in ("onnx", "tflite"):
            raise InvalidInputError(
                f"Engine {engine!r} needs an exported file; export the Keras model with "
                "emostudy.recognition.export_onnx / export_tflite first."
            )
    mode = "compiled" if engine == "auto" else engine
    return KerasEngine(keras_model, mode=mode)


def _is_shipped(name: str) -> bool:
    from emostudy.models.pretrained import shipped_models

    return name in shipped_models()


def load_keras_file(path: str) -> Any:
    """Load a ``.keras`` model file (the book's custom layers registered), or say it is missing."""
    if not Path(path).is_file():
        raise ModelNotFoundError(f"Keras model file not found: {path}.")
    keras = import_keras()

    import emostudy.models.layers  # noqa: F401  (registers the custom layers for loading)

    try:
        return keras.models.load_model(path, compile=False)
    except Exception as error:  # Keras raises many kinds for a broken file
        raise ModelNotFoundError(
            f"Cannot load Keras model {path}: the file exists but is not a valid .keras model "
            f"({type(error).__name__}: {str(error)[:160]}). Re-save or re-download it."
        ) from None
