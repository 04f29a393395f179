"""Scaffolding of the book's first four chapters (perceptron, multilayer networks, training in
practice, convolutional networks): gluing named values, the training-set pixel standardisation,
TensorFlow's autodiff of the NumPy MLP, and the two longer experiments of chapter 2.

Everything returns data (floats, arrays, dataclasses); the chapters do the telling and plotting.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from emostudy.book.results import to_plain
from emostudy.errors import InvalidInputError


def glue_values(values: Mapping[str, Any], *, prefix: str = "") -> None:
    """Glue every value of a mapping for the book's prose, under ``prefix + name``.

    A chapter's bookkeeping cell collects the numbers its prose quotes in one dict and glues them
    with one call, instead of one ``glue`` line per number. Values are made plain Python first
    (:func:`emostudy.book.to_plain`): a glued ``np.float64`` would print as ``np.float64(0.4)`` and
    break ``{glue:text}`name:.1%```.

    Parameters
    ----------
    values
        ``{name: value}``; names are glued as ``prefix + name``. Values: numbers, strings, or
        NumPy scalars (converted).
    prefix
        Keyword-only; prepended to every name, e.g. ``"ch3_"``.

    Returns nothing, so that a notebook cell ending with the call shows no output.
    """
    from myst_nb import glue

    if not isinstance(values, Mapping):
        raise InvalidInputError(
            f"The 'values' parameter of glue_values must be a mapping of names to values. "
            f"Got {type(values).__name__} instead."
        )
    bad = [name for name in values if not isinstance(name, str) or not name]
    if bad:
        raise InvalidInputError(f"glue names must be non-empty strings, got {bad[0]!r}.")
    for name, value in values.items():
        glue(prefix + name, to_plain(value), display=False)


def standardise_pixels(
    train: ArrayLike, *others: ArrayLike, eps: float = 1e-6
) -> tuple[np.ndarray, ...]:
    """Standardise every pixel with the mean and standard deviation of the **training** images.

    Evaluation images are transformed with the training statistics, never their own, so that they
    take no part in the preprocessing.

    Parameters
    ----------
    train
        Training inputs, shape ``(N, ...)`` (e.g. ``(N, 48, 48, 1)`` from
        :func:`emostudy.models.to_model_input`, or flattened ``(N, D)``), N >= 1.
    *others
        Further arrays of shape ``(M, ...)`` with the same trailing shape (validation, test).
    eps
        Keyword-only; added to each pixel's standard deviation (a constant pixel divides by it).

    Returns
    -------
    tuple of ndarray
        ``(train_standardised, *others_standardised)``, each of its input's shape, in the input's
        float dtype (float32 stays float32; integers become float64).
    """
    train = np.asarray(train)
    if train.ndim < 2 or len(train) == 0:
        raise InvalidInputError(
            f"The 'train' parameter of standardise_pixels must hold at least one image, shape "
            f"(N, ...) with N >= 1. Got shape {train.shape} instead."
        )
    dtype = train.dtype if np.issubdtype(train.dtype, np.floating) else np.dtype(np.float64)
    train = train.astype(dtype, copy=False)
    mean = train.mean(axis=0)
    std = train.std(axis=0) + dtype.type(eps)
    out = [(train - mean) / std]
    for other in others:
        other = np.asarray(other)
        if other.shape[1:] != train.shape[1:]:
            raise InvalidInputError(
                f"every array must have the training images' trailing shape {train.shape[1:]}, "
                f"got {other.shape[1:]}."
            )
        out.append((other.astype(dtype, copy=False) - mean) / std)
    return tuple(out)


def tensorflow_mlp_gradients(mlp, X: ArrayLike, y: ArrayLike) -> tuple[float, list[np.ndarray]]:
    """The loss of an :class:`emostudy.nn.MLP` and its gradients, by TensorFlow's autodiff.

    The network's forward pass and loss (with its L2 penalty) are written again with TensorFlow
    ops, in float64, on ``tf.Variable`` copies of the same weights, and differentiated by
    ``tf.GradientTape``: an independent reference for :meth:`emostudy.nn.MLP.backward`.

    Parameters
    ----------
    mlp
        An :class:`emostudy.nn.MLP` (any activation; softmax, sigmoid + binary cross-entropy or
        sigmoid + squared-error output).
    X
        Inputs, shape ``(N, n_0)``.
    y
        Targets as :meth:`emostudy.nn.MLP.loss` takes them: class indices ``(N,)`` for a softmax
        output, ``(N, n_L)`` floats in ``{0, 1}`` for a sigmoid output.

    Returns
    -------
    loss : float
        The loss in nats (squared units for squared error), penalty included.
    gradients : list of ndarray
        ``[dW_1, db_1, dW_2, db_2, ...]``, the shapes of ``mlp.params`` flattened in that order.
    """
    from emostudy._quiet import import_tensorflow

    tf = import_tensorflow()
    activations = {"relu": tf.nn.relu, "tanh": tf.tanh, "sigmoid": tf.sigmoid}
    variables = [(tf.Variable(W), tf.Variable(b)) for W, b in mlp.params]
    targets = np.asarray(y)
    with tf.GradientTape() as tape:
        A = tf.constant(np.asarray(X, dtype=np.float64))
        for layer, (W, b) in enumerate(variables, start=1):
            Z = A @ W + b
            A = activations[mlp.activation](Z) if layer < len(variables) else Z
        if mlp.output == "softmax":
            data = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=targets, logits=A)
        elif mlp.loss_name == "bce":
            data = tf.nn.sigmoid_cross_entropy_with_logits(
                labels=tf.constant(targets, tf.float64), logits=A
            )
        else:
            data = (tf.sigmoid(A) - tf.constant(targets, tf.float64)) ** 2
        penalty = 0.5 * mlp.l2 * tf.add_n([tf.reduce_sum(W * W) for W, _ in variables])
        loss = tf.reduce_mean(data) + penalty
    grads = tape.gradient(loss, [v for pair in variables for v in pair])
    return float(loss), [g.numpy() for g in grads]


@dataclass
class NetworkComparison:
    """Chapter 2's NumPy MLP and its Keras twin, trained with one recipe and tested once.

    ``numpy_history`` holds lists per epoch (``loss``, ``accuracy``, ``val_loss``,
    ``val_accuracy``), ``keras_history`` the :class:`emostudy.training.TrainResult` history
    (a DataFrame with the same columns). Accuracies are fractions in [0, 1]; ``*_ci`` are 95%
    percentile-bootstrap intervals; times in seconds.
    """

    numpy_history: dict[str, list[float]]
    keras_history: Any
    numpy_eval: dict[str, Any]
    keras_eval: dict[str, Any]
    numpy_seconds: float
    keras_seconds: float
    keras_best_epoch: int
    numpy_predictions: np.ndarray
    keras_predictions: np.ndarray
    n_test: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def agreement(self) -> float:
        """Share of test images on which the two networks predict the same class."""
        return float(np.mean(self.numpy_predictions == self.keras_predictions))

    def table(self):
        """One row per network: epochs, seconds, validation and test accuracy (with its
        interval) and macro-F1, as a DataFrame."""
        import pandas as pd

        rows = {}
        for name, ev, epochs, best, seconds in [
            (
                "NumPy",
                self.numpy_eval,
                len(self.numpy_history["loss"]),
                self.numpy_history["val_accuracy"][-1],
                self.numpy_seconds,
            ),
            (
                "Keras",
                self.keras_eval,
                len(self.keras_history),
                float(self.keras_history["val_accuracy"].max()),
                self.keras_seconds,
            ),
        ]:
            rows[name] = {
                "epochs": epochs,
                "seconds": seconds,
                "validation accuracy (kept epoch)": best,
                "test accuracy": ev["accuracy"],
                "95% interval low": ev["ci"]["accuracy"][0],
                "95% interval high": ev["ci"]["accuracy"][1],
                "test macro-F1": ev["macro_f1"],
            }
        return pd.DataFrame.from_dict(rows, orient="index").rename_axis("network")


def compare_numpy_and_keras_mlp(
    numpy_net,
    train: tuple[np.ndarray, np.ndarray],
    val: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    *,
    hidden: Sequence[int],
    epochs: int,
    batch_size: int = 32,
    learning_rate: float = 1e-3,
    seed: int = 0,
) -> NetworkComparison:
    """Train a NumPy :class:`emostudy.nn.MLP` and the same architecture in Keras with one recipe
    (Adam, cross-entropy, mini-batches), then test both once.

    The NumPy network keeps its last epoch; :func:`emostudy.training.train` keeps the Keras
    model's epoch with the best validation accuracy.

    Parameters
    ----------
    numpy_net
        An untrained :class:`emostudy.nn.MLP` with ReLU hidden units and a softmax output.
    train, val, test
        ``(X, y)``: inputs ``(N, D)`` float, labels ``(N,)`` class indices.
    hidden
        Keyword-only; the hidden-layer widths (the same as ``numpy_net``'s).
    epochs, batch_size, learning_rate, seed
        Keyword-only; the shared recipe (``learning_rate`` is Adam's).

    Returns
    -------
    NetworkComparison
    """
    from emostudy.evaluation import evaluate
    from emostudy.models import build_mlp, predict_logits
    from emostudy.nn import Adam
    from emostudy.training import TrainConfig
    from emostudy.training import train as fit_keras

    (X_train, y_train), (X_val, y_val), (X_test, y_test) = train, val, test
    if list(numpy_net.layer_sizes[1:-1]) != list(hidden):
        raise InvalidInputError(
            f"hidden={list(hidden)} differs from the NumPy network's hidden layers "
            f"{numpy_net.layer_sizes[1:-1]}."
        )
    n_classes = numpy_net.layer_sizes[-1]
    started = time.perf_counter()
    numpy_history = numpy_net.fit(
        X_train,
        y_train,
        Adam(learning_rate),
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
        X_val=X_val,
        y_val=y_val,
    )
    numpy_seconds = time.perf_counter() - started
    keras_run = fit_keras(
        lambda: build_mlp(
            input_shape=(X_train.shape[1],), n_classes=n_classes, hidden=tuple(hidden)
        ),
        (np.asarray(X_train, np.float32), y_train),
        (np.asarray(X_val, np.float32), y_val),
        TrainConfig(
            epochs=epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            optimizer="adam",
            seed=seed,
        ),
        progress=False,
    )
    numpy_pred = numpy_net.predict(X_test)
    keras_pred = predict_logits(keras_run.model, np.asarray(X_test, np.float32)).argmax(axis=1)
    names = [str(k) for k in range(n_classes)]
    return NetworkComparison(
        numpy_history=numpy_history,
        keras_history=keras_run.history,
        numpy_eval=evaluate(y_test, numpy_pred, names, seed=seed),
        keras_eval=evaluate(y_test, keras_pred, names, seed=seed),
        numpy_seconds=numpy_seconds,
        keras_seconds=keras_run.seconds,
        keras_best_epoch=keras_run.best_epoch,
        numpy_predictions=np.asarray(numpy_pred),
        keras_predictions=np.asarray(keras_pred),
        n_test=len(y_test),
    )


@dataclass
class FaceMLPRun:
    """Chapter 2's NumPy MLP trained on FER-2013 ``Training``, measured on ``PublicTest``.

    ``history`` holds one float per epoch (``loss``, ``accuracy``, ``val_loss``,
    ``val_accuracy``; losses in nats). ``metrics`` is
    :func:`emostudy.evaluation.classification_metrics` of the last epoch on ``PublicTest``.
    Accuracies are fractions; epochs are 1-based; ``seconds`` is the training time.
    """

    net: Any
    history: dict[str, list[float]]
    metrics: dict[str, Any]
    classes: list[str]
    train_accuracy: float
    majority: float
    seconds: float
    n_train: int
    n_public: int

    @property
    def best_epoch(self) -> int:
        """The epoch with the highest ``PublicTest`` accuracy (1-based)."""
        return int(np.argmax(self.history["val_accuracy"])) + 1

    @property
    def best_loss_epoch(self) -> int:
        """The epoch with the lowest ``PublicTest`` loss (1-based)."""
        return int(np.argmin(self.history["val_loss"])) + 1

    @property
    def recalls(self) -> dict[str, float]:
        """``PublicTest`` recall per class, in class order."""
        return {c: float(self.metrics["per_class"][c]["recall"]) for c in self.classes}

    def summary(self) -> dict[str, Any]:
        """The run's numbers as plain values (for the results table and the prose)."""
        return {
            "n_train": self.n_train,
            "n_publictest": self.n_public,
            "layer_sizes": list(self.net.layer_sizes),
            "n_params": int(self.net.n_params),
            "epochs": len(self.history["loss"]),
            "train_accuracy": float(self.train_accuracy),
            "publictest_accuracy": float(self.metrics["accuracy"]),
            "publictest_balanced_accuracy": float(self.metrics["balanced_accuracy"]),
            "publictest_macro_f1": float(self.metrics["macro_f1"]),
            "best_publictest_accuracy": float(max(self.history["val_accuracy"])),
            "best_epoch": self.best_epoch,
            "best_publictest_loss_epoch": self.best_loss_epoch,
            "majority_baseline": float(self.majority),
            "per_class_recall": self.recalls,
            "seconds": float(self.seconds),
        }


def train_face_mlp(
    faces,
    *,
    hidden: Sequence[int] = (256, 128),
    epochs: int,
    batch_size: int = 128,
    learning_rate: float = 1e-3,
    seed: int = 0,
) -> FaceMLPRun:
    """Train chapter 2's NumPy MLP (ReLU, softmax, Adam) on FER-2013 faces.

    Faces are scaled by :func:`emostudy.models.to_model_input`, flattened and standardised per
    pixel with the ``Training`` images' statistics (:func:`standardise_pixels`). ``PrivateTest``
    images, if any, are ignored.

    Parameters
    ----------
    faces
        A :class:`emostudy.data.FaceSet` with ``Training`` and ``PublicTest`` images
        (``meta["usage"]``), uint8 ``(N, 48, 48, 1)``.
    hidden
        Keyword-only; hidden-layer widths.
    epochs, batch_size, learning_rate, seed
        Keyword-only; the recipe (``learning_rate`` is Adam's; ``seed`` sets the initial weights
        and the order of the batches).

    Returns
    -------
    FaceMLPRun
    """
    from emostudy.evaluation import classification_metrics
    from emostudy.models import to_model_input
    from emostudy.nn import MLP, Adam

    usage = faces.meta["usage"].to_numpy()
    is_train, is_public = usage == "Training", usage == "PublicTest"
    if not is_train.any() or not is_public.any():
        raise InvalidInputError("train_face_mlp needs Training and PublicTest images.")
    flat = to_model_input(faces.images).reshape(len(faces.images), -1).astype(np.float64)
    X_train, X_public = standardise_pixels(flat[is_train], flat[is_public])
    y_train, y_public = faces.labels[is_train], faces.labels[is_public]
    classes = list(faces.classes)
    net = MLP([X_train.shape[1], *hidden, len(classes)], activation="relu", seed=seed)
    started = time.perf_counter()
    history = net.fit(
        X_train,
        y_train,
        Adam(learning_rate),
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
        X_val=X_public,
        y_val=y_public,
    )
    seconds = time.perf_counter() - started
    counts = np.bincount(y_public, minlength=len(classes))
    return FaceMLPRun(
        net=net,
        history=history,
        metrics=classification_metrics(y_public, net.predict(X_public), classes),
        classes=classes,
        train_accuracy=float(net.evaluate(X_train, y_train)[1]),
        majority=float(counts.max() / counts.sum()),
        seconds=seconds,
        n_train=int(is_train.sum()),
        n_public=int(is_public.sum()),
    )


def sample_photographs() -> dict[str, np.ndarray]:
    """Chapter 4's two photographs: crops of scikit-image's bundled ``camera`` and ``astronaut``.

    scikit-image's data module imports ``tqdm.auto``, which warns (with a path of this machine)
    when ipywidgets is missing; the import happens here, with Python warnings silenced.

    Returns
    -------
    dict
        ``{"camera (crop)": (256, 256), "astronaut (crop)": (256, 256)}``, float64 gray levels
        in [0, 1] (the astronaut converted from RGB by scikit-image's ``rgb2gray``, with the
        ITU-R BT.709 weights).
    """
    from emostudy._quiet import python_output_silenced

    with python_output_silenced():
        from skimage import data
        from skimage.color import rgb2gray

        camera = data.camera()[40:296, 140:396] / 255.0
        astronaut = rgb2gray(data.astronaut())[20:276, 110:366]
    return {"camera (crop)": camera, "astronaut (crop)": astronaut}
