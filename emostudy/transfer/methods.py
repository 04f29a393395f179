"""The methods compared on CK+ folds, each with ``fit(inputs, labels, *, groups)`` and
``predict_proba(inputs)`` (see :func:`emostudy.transfer.cross_validate`).

* :class:`InnerSelected`: a scikit-learn classifier whose feature set and hyper-parameters are
  chosen by an inner subject-grouped cross-validation on the training side only;
* :class:`ScratchCNN`: a small CNN trained from random weights;
* :class:`FineTuned`: the shipped FER-2013 network with a new head, trained first with its lower
  blocks frozen, then whole at a lower learning rate.

Both networks train for a fixed number of epochs: nothing is chosen on a fold's test side, and
no early stopping needs a validation split.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold

from emostudy._quiet import import_keras, tensorflow_warnings_silenced
from emostudy.errors import InvalidInputError
from emostudy.models.inputs import predict_logits, softmax, to_model_input
from emostudy.training.config import Augmentation
from emostudy.training.loop import set_seed
from emostudy.training.pipeline import make_dataset


@contextlib.contextmanager
def _one_blas_thread():
    """scikit-learn's solvers on one BLAS thread: next to TensorFlow's thread pool on a small
    CPU, a multi-threaded BLAS was measured 20-50x slower on these few-hundred-row problems."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _full_proba(proba: np.ndarray, classes_: np.ndarray, n_classes: int) -> np.ndarray:
    """Spread a classifier's columns (its ``classes_``) over all ``n_classes`` columns."""
    full = np.zeros((len(proba), n_classes))
    full[:, np.asarray(classes_, dtype=np.int64)] = proba
    return full


class InnerSelected:
    """A scikit-learn classifier tuned inside the training side of a fold.

    For every candidate feature set (the keys of a dict input; a plain array is one set) a
    ``GridSearchCV`` over ``param_grid`` scores the classifier by accuracy on
    ``StratifiedGroupKFold(n_inner)`` splits of the training subjects; the best (feature set,
    parameters) — the first listed on ties — is refitted on the whole training side.
    ``chosen_`` records the choice and its inner accuracy.

    Parameters
    ----------
    estimator
        An unfitted scikit-learn classifier or pipeline with ``predict_proba``.
    param_grid
        ``GridSearchCV`` grid (e.g. ``{"logisticregression__C": [0.01, 0.1]}``).
    n_classes
        Number of classes of the task (columns of ``predict_proba``).
    n_inner
        Inner folds, grouped by subject.
    seed
        Seed of the inner folds.
    """

    def __init__(
        self,
        estimator: Any,
        param_grid: Mapping[str, Sequence[Any]],
        *,
        n_classes: int,
        n_inner: int = 3,
        seed: int = 0,
    ):
        self.estimator = estimator
        self.param_grid = dict(param_grid)
        self.n_classes = n_classes
        self.n_inner = n_inner
        self.seed = seed
        self.chosen_: dict[str, Any] = {}

    def __repr__(self) -> str:
        return (
            f"InnerSelected({self.estimator!r}, {self.param_grid!r}, n_classes={self.n_classes}, "
            f"n_inner={self.n_inner}, seed={self.seed})"
        )

    def fit(self, inputs, labels: np.ndarray, *, groups: np.ndarray | None = None):
        """Choose the regularisation on inner folds grouped by subject, then fit all ``inputs``.

        Returns self.
        """
        if groups is None:
            raise InvalidInputError(
                "InnerSelected needs groups (the subject of each image) to split the training "
                "side by subject."
            )
        with _one_blas_thread():
            return self._fit(inputs, labels, groups)

    def _fit(self, inputs, labels, groups):
        candidates = inputs if isinstance(inputs, dict) else {"features": inputs}
        inner = StratifiedGroupKFold(n_splits=self.n_inner, shuffle=True, random_state=self.seed)
        best = None
        for key, features in candidates.items():
            search = GridSearchCV(
                clone(self.estimator), self.param_grid, cv=inner, scoring="accuracy", refit=False
            )
            search.fit(features, labels, groups=groups)
            score = float(search.best_score_)
            if best is None or score > best[0] + 1e-12:
                best = (score, key, search.best_params_)
        score, key, params = best
        self.model_ = clone(self.estimator).set_params(**params).fit(candidates[key], labels)
        self.key_ = key if isinstance(inputs, dict) else None
        self.chosen_ = {"features": key, **params, "inner_accuracy": score}
        return self

    def predict_proba(self, inputs) -> np.ndarray:
        """Class probabilities ``(N, n_classes)`` for ``inputs``."""
        features = inputs[self.key_] if self.key_ is not None else inputs
        with _one_blas_thread():
            proba = self.model_.predict_proba(features)
        return _full_proba(proba, self.model_.classes_, self.n_classes)


def _fit_stage(model, x, y, *, epochs, learning_rate, batch_size, augment, seed, label_smoothing):
    keras = import_keras()

    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.CategoricalCrossentropy(
            from_logits=True, label_smoothing=label_smoothing
        ),
    )
    n_classes = model.output_shape[-1]
    data = make_dataset(
        x,
        np.eye(n_classes, dtype=np.float32)[y],
        batch_size=batch_size,
        shuffle=True,
        augment=augment,
        seed=seed,
    )
    with tensorflow_warnings_silenced():
        model.fit(data, epochs=epochs, verbose=0, shuffle=False)  # make_dataset shuffles


def predict_proba_tta(model, x: np.ndarray, *, batch_size: int = 256) -> np.ndarray:
    """Softmax of the logits of ``model`` averaged over each input and its mirror image, (N, C).

    Calls the model directly (inference mode) rather than ``predict``, so that a new model per
    fold does not retrace a prediction function.
    """
    return softmax(predict_logits(model, x, batch_size=batch_size, tta="flip", direct=True))


#: Augmentation for CK+ training: mirror images and small shifts, turns and zooms.
CKPLUS_AUGMENTATION = Augmentation(flip=True, rotation=0.03, shift=0.08, zoom=0.08)


@dataclass
class ScratchCNN:
    """A small CNN (3 conv blocks of 32-64-128 filters with batch norm, global pooling, dropout)
    trained from random weights for a fixed number of epochs with Adam and augmentation;
    predictions average each face and its mirror."""

    n_classes: int = 7
    epochs: int = 40
    learning_rate: float = 2e-3
    batch_size: int = 32
    augment: Augmentation | None = CKPLUS_AUGMENTATION
    label_smoothing: float = 0.1
    seed: int = 0
    filters: tuple[int, ...] = (32, 64, 128)
    dropout: float = 0.3
    norm_momentum: float = 0.9  # batch-norm moving averages: converge within ~50 steps
    chosen_: dict[str, Any] = field(default_factory=dict)

    def build(self):
        """A new, untrained CNN of this method's size (logits output)."""
        from emostudy.models.builders import build_cnn

        model = build_cnn(
            n_classes=self.n_classes,
            filters=self.filters,
            dense=(),
            batch_norm=True,
            global_pool=True,
            dropout=self.dropout,
            name="scratch_cnn",
        )
        # A few hundred training steps: with Keras' default momentum (0.99) the moving variance
        # would still hold 0.99**300 = 5% of its initial 1.0, far above the true variance of
        # small activations, and inference-mode outputs would be meaningless.
        for layer in model.layers:
            if hasattr(layer, "moving_variance"):
                layer.momentum = self.norm_momentum
        return model

    def fit(self, images: np.ndarray, labels: np.ndarray, *, groups=None):
        """Train a new network on ``inputs`` (uint8 faces) and ``labels``; returns self."""
        set_seed(self.seed)
        self.model_ = self.build()
        _fit_stage(
            self.model_,
            to_model_input(images),
            labels,
            epochs=self.epochs,
            learning_rate=self.learning_rate,
            batch_size=self.batch_size,
            augment=self.augment,
            seed=self.seed,
            label_smoothing=self.label_smoothing,
        )
        self.chosen_ = {"epochs": self.epochs}
        return self

    def predict_proba(self, images: np.ndarray) -> np.ndarray:
        """Class probabilities ``(N, n_classes)``, averaged over each face and its mirror image."""
        return predict_proba_tta(self.model_, to_model_input(images))


@dataclass
class FineTuned:
    """The shipped FER-2013 network with a new ``n_classes`` head, fine-tuned in two stages.

    Stage 1 trains the head and the blocks after ``frozen_until`` (the lower blocks frozen) for
    ``head_epochs`` at ``head_learning_rate``; stage 2 unfreezes every layer and trains for
    ``full_epochs`` at the lower ``full_learning_rate``. Batch normalisation stays in inference
    mode throughout (its statistics are FER-2013's; a few hundred images would only add noise).
    Predictions average each face and its mirror.
    """

    n_classes: int = 7
    base: str = "fer2013_vgg_lite"
    feature_layer: str = "global_average_pooling2d"
    frozen_until: str = "max_pooling2d_2"
    head_epochs: int = 4
    head_learning_rate: float = 1e-3
    full_epochs: int = 8
    full_learning_rate: float = 1e-4
    batch_size: int = 32
    augment: Augmentation | None = CKPLUS_AUGMENTATION
    label_smoothing: float = 0.1
    dropout: float = 0.3
    seed: int = 0
    chosen_: dict[str, Any] = field(default_factory=dict)

    def build(self):
        """A fresh copy of the base network up to ``feature_layer``, plus dropout and a head."""
        keras = import_keras()

        from emostudy.models.pretrained import load_emotion_model

        base = load_emotion_model(self.base)
        names = [layer.name for layer in base.layers]
        for name in (self.feature_layer, self.frozen_until):
            if name not in names:
                raise InvalidInputError(
                    f"{name!r} is not a layer of {self.base}; choose among {names}."
                )
        if names.index(self.frozen_until) >= names.index(self.feature_layer):
            raise InvalidInputError("frozen_until must come before feature_layer in the network.")
        copy = keras.models.clone_model(base)
        copy.set_weights(base.get_weights())
        backbone = keras.Model(copy.input, copy.get_layer(self.feature_layer).output)
        inputs = keras.Input(base.input_shape[1:])
        x = backbone(inputs, training=False)  # batch norm keeps FER-2013's statistics
        x = keras.layers.Dropout(self.dropout)(x)
        outputs = keras.layers.Dense(self.n_classes, name="head")(x)
        self.backbone_ = backbone
        return keras.Model(inputs, outputs, name=f"{self.base}_finetuned")

    def _freeze_lower(self, frozen: bool) -> None:
        lower = True
        for layer in self.backbone_.layers:
            layer.trainable = not (frozen and lower)
            if layer.name == self.frozen_until:
                lower = False

    def fit(self, images: np.ndarray, labels: np.ndarray, *, groups=None):
        """Fine-tune a copy of the base network on uint8 faces ``inputs`` and ``labels``.

        Returns self.
        """
        set_seed(self.seed)
        x = to_model_input(images)
        self.model_ = self.build()
        common = {
            "batch_size": self.batch_size,
            "augment": self.augment,
            "seed": self.seed,
            "label_smoothing": self.label_smoothing,
        }
        self._freeze_lower(True)
        _fit_stage(
            self.model_,
            x,
            labels,
            epochs=self.head_epochs,
            learning_rate=self.head_learning_rate,
            **common,
        )
        if self.full_epochs:
            self._freeze_lower(False)
            _fit_stage(
                self.model_,
                x,
                labels,
                epochs=self.full_epochs,
                learning_rate=self.full_learning_rate,
                **common,
            )
        self.chosen_ = {"head_epochs": self.head_epochs, "full_epochs": self.full_epochs}
        return self

    def predict_proba(self, images: np.ndarray) -> np.ndarray:
        """Class probabilities ``(N, n_classes)``, averaged over each face and its mirror image."""
        return predict_proba_tta(self.model_, to_model_input(images))
