"""Keras callbacks of emostudy's training loop and experiments, one top-level class each.

Importing this module imports Keras; :mod:`emostudy.training` loads it on first use of a name.
"""

from __future__ import annotations

import time

import numpy as np
from scipy.special import logsumexp

from emostudy._quiet import import_keras
from emostudy.models.inputs import predict_logits
from emostudy.training.experiments import TRAIN_EVAL_COLUMN, VAL_CROSSENTROPY_COLUMN

keras = import_keras()


class EpochTimer(keras.callbacks.Callback):
    """Records each epoch's wall time (``seconds``) and learning rate (``lr``) in its logs."""

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs["seconds"] = time.perf_counter() - self._start
        logs["lr"] = float(np.asarray(self.model.optimizer.learning_rate))


class EpochMetrics(keras.callbacks.Callback):
    """Adds, after every epoch, metrics measured in inference mode to the epoch's logs.

    * :data:`TRAIN_EVAL_COLUMN` (``train_eval_accuracy``): accuracy on ``train_sample``. Keras' own
      ``accuracy`` is a running mean over the epoch's batches with dropout and augmentation
      switched on; this one is measured like the validation accuracy.
    * :data:`VAL_CROSSENTROPY_COLUMN` (``val_crossentropy``): mean cross-entropy (nats) on
      ``val_data``, *without* the L2 penalty that Keras adds to ``val_loss``, so that models with
      and without weight decay can be compared.

    Parameters
    ----------
    train_sample, val_data
        ``(x, y)``: float32 inputs (N, 48, 48, 1) and integer labels (N,); either may be None.
    batch_size
        Faces per forward pass.
    """

    def __init__(
        self,
        train_sample: tuple[np.ndarray, np.ndarray] | None = None,
        val_data: tuple[np.ndarray, np.ndarray] | None = None,
        *,
        batch_size: int = 512,
    ) -> None:
        super().__init__()
        self.train_sample, self.val_data, self.batch_size = train_sample, val_data, batch_size

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is None:
            return
        if self.train_sample is not None:
            x, y = self.train_sample
            logits = predict_logits(self.model, x, batch_size=self.batch_size)
            logs[TRAIN_EVAL_COLUMN] = float(np.mean(logits.argmax(axis=1) == y))
        if self.val_data is not None:
            x, y = self.val_data
            logits = predict_logits(self.model, x, batch_size=self.batch_size).astype(np.float64)
            picked = logits[np.arange(len(y)), np.asarray(y)]
            logs[VAL_CROSSENTROPY_COLUMN] = float(np.mean(logsumexp(logits, axis=1) - picked))
