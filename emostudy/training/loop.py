"""Seeded Keras training: one entry point, :func:`train`, used by every chapter that fits a model.

    result = train(lambda: build_cnn("tiny"), (x_train, y_train), (x_val, y_val),
                   TrainConfig(epochs=20, augment=True), out_dir="runs/tiny")

What it does, with Keras' own callbacks: shuffles with the seed, optionally augments (flip, rotate,
shift, zoom), uses the chosen optimiser and learning-rate schedule, keeps the weights of the best
epoch on the validation metric (``EarlyStopping(restore_best_weights=True)``), and, when ``out_dir``
is given, saves the best model (``best.keras``), a CSV log (``log.csv``) and a backup that lets an
interrupted run resume where it stopped (``BackupAndRestore``). A ``tf.distribute`` strategy may be
passed: the model is then built and compiled inside its scope.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from emostudy._quiet import import_keras, tensorflow_warnings_silenced
from emostudy.errors import InvalidInputError
from emostudy.models.logs import read_training_log
from emostudy.training.config import TrainConfig, TrainResult
from emostudy.training.distributed import (
    build_from_local_batch,
    is_multiworker,
    scalar_metric_reduction,
)
from emostudy.training.pipeline import class_weights, make_dataset, training_targets
from emostudy.training.precision import precision_policy


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow (``keras.utils.set_random_seed``)."""
    keras = import_keras()

    keras.utils.set_random_seed(seed)


def _optimizer(config: TrainConfig, steps_per_epoch: int):
    keras = import_keras()

    learning_rate: Any = config.learning_rate
    if config.schedule == "cosine":
        warmup = config.warmup_epochs * steps_per_epoch
        learning_rate = keras.optimizers.schedules.CosineDecay(
            initial_learning_rate=0.0 if warmup else config.learning_rate,
            decay_steps=max(1, config.epochs * steps_per_epoch - warmup),
            warmup_target=config.learning_rate if warmup else None,
            warmup_steps=warmup,
        )
    if config.optimizer == "adam":
        return keras.optimizers.Adam(learning_rate)
    if config.optimizer == "adamw":
        return keras.optimizers.AdamW(learning_rate, weight_decay=config.weight_decay)
    return keras.optimizers.SGD(learning_rate, momentum=config.momentum, nesterov=True)


def train(
    build: Callable[[], Any],
    train_data: tuple[np.ndarray, np.ndarray],
    val_data: tuple[np.ndarray, np.ndarray],
    config: TrainConfig | None = None,
    *,
    out_dir: str | os.PathLike | None = None,
    strategy=None,
    progress: bool = True,
    callbacks: list | None = None,
    teacher_probabilities: np.ndarray | None = None,
) -> TrainResult:
    """Fit the model made by ``build()`` on ``train_data``, selecting the epoch on ``val_data``.

    Parameters
    ----------
    build
        Function returning an uncompiled Keras model whose last layer outputs logits
        (no softmax) over ``n_classes``; called inside ``strategy.scope()`` when one is given.
    train_data, val_data
        ``(x, y)``: inputs as float32 arrays (e.g. :func:`emostudy.models.inputs.to_model_input`),
        integer labels of shape (N,).
    config
        Optimiser, schedule, regularisation, augmentation, stopping, precision and seed.
        ``precision="mixed_bfloat16"`` trains in float32 instead, with a ``RuntimeWarning``, on a
        CPU that would only emulate bfloat16 (:func:`emostudy.hardware.has_native_bfloat16`).
    out_dir
        Folder for ``best.keras``, ``log.csv``, ``config.json`` and the resume backup. A run
        started again with the same ``out_dir`` continues from its last finished epoch (with
        random draws of its own, so that it does not replay the first epoch); a run
        that already finished with the same config is not repeated: its best model and log are
        loaded instead.
    strategy
        Optional ``tf.distribute.Strategy`` (e.g. ``MirroredStrategy``); the global batch size is
        ``config.batch_size``.
    progress
        Show a tqdm progress bar over epochs.
    callbacks
        Extra Keras callbacks. They run after the epoch timer and before early stopping, the
        checkpoint and the CSV log, so metrics they add to an epoch's logs are logged (and can
        be monitored); their own time is not in the epoch's ``seconds``.
    teacher_probabilities
        Knowledge distillation: a teacher's class probabilities for every training input, shape
        (N_train, n_classes), rows summing to 1 (e.g. a softened ensemble, see
        :meth:`emostudy.training.Recipe.teacher_probabilities`). Each training target
        becomes ``(1 - config.distill_weight) * one_hot(label) + config.distill_weight *
        teacher``; label smoothing then applies on top. The teacher sees the un-augmented
        image (offline distillation). Required exactly when ``config.distill_weight > 0``.
    """

    config = config or TrainConfig()
    finished = _finished_run(out_dir, config)
    if finished is not None:
        return finished
    precision = _native_precision(config)
    _check_data(train_data=train_data, val_data=val_data)
    folder = Path(out_dir) if out_dir is not None else None
    seed = _sitting_seed(folder, config)
    set_seed(seed)
    steps = int(np.ceil(len(train_data[0]) / config.batch_size))
    model = _compiled_model(build, config, precision=precision, strategy=strategy, steps=steps)
    multiworker = strategy is not None and is_multiworker(strategy)
    if multiworker:
        build_from_local_batch(model)
    train_ds, val_ds = _datasets(
        config, train_data, val_data, model, teacher_probabilities, seed=seed
    )
    fit_callbacks = _callbacks(config, folder, precision, extra=callbacks, progress=progress)
    start = time.perf_counter()
    # every call builds a new model, so Keras retraces its train step by design: no warning
    with (
        scalar_metric_reduction() if multiworker else contextlib.nullcontext(),
        tensorflow_warnings_silenced(),
    ):
        fit = model.fit(
            train_ds,
            validation_data=val_ds,
            epochs=config.epochs,
            callbacks=fit_callbacks,
            verbose=0,
            shuffle=False,  # the tf.data pipeline shuffles
        )
    seconds = time.perf_counter() - start
    history = pd.DataFrame(fit.history)
    if folder is not None and (folder / "log.csv").is_file():
        history = read_training_log(folder / "log.csv")
    else:
        history.index = pd.RangeIndex(1, len(history) + 1, name="epoch")
    return _result(model, history, config, folder=folder, seconds=seconds, precision=precision)


def _native_precision(config: TrainConfig) -> str:
    """The config's precision, or float32 (with a warning) where bfloat16 would be emulated."""
    from emostudy.hardware import bfloat16_support, usable_precision

    precision = usable_precision(config.precision)
    if precision != config.precision:
        warnings.warn(
            f"This CPU would only emulate bfloat16 ({bfloat16_support()}), many times slower "
            f"than float32: training in {precision} instead of {config.precision}. The result "
            "records the precision used (TrainResult.precision).",
            RuntimeWarning,
            stacklevel=3,
        )
    return precision


def _check_data(**data: tuple[np.ndarray, np.ndarray]) -> None:
    for name, (x, y) in data.items():
        if len(x) != len(y):
            raise InvalidInputError(f"{name}: {len(x)} inputs but {len(y)} labels.")
        if np.asarray(x).dtype != np.float32:
            raise InvalidInputError(
                f"{name}: inputs must be float32 (got {np.asarray(x).dtype}); "
                "use emostudy.models.to_model_input for face images."
            )


def _compiled_model(build, config: TrainConfig, *, precision: str, strategy, steps: int):
    """``build()`` inside the strategy's scope and the precision policy, compiled for training."""
    keras = import_keras()

    scope = strategy.scope() if strategy is not None else contextlib.nullcontext()
    with scope, precision_policy(precision):
        model = build()
        model.compile(
            optimizer=_optimizer(config, steps),
            loss=keras.losses.CategoricalCrossentropy(
                from_logits=True, label_smoothing=config.label_smoothing
            ),
            metrics=[keras.metrics.CategoricalAccuracy(name="accuracy")],
        )
    return model


def sitting_seed(seed: int, epochs_done: int) -> int:
    """The seed of one sitting of a training run: its shuffling, augmentation and dropout masks.

    A run's first sitting (``epochs_done == 0``) uses ``seed``. A sitting that resumes an
    interrupted run after ``epochs_done`` epochs uses a seed drawn from ``(seed, epochs_done)``.
    Keras' backup restores the weights and the optimizer, not the random state of the data
    pipeline or of the layers, so with ``seed`` again a resumed sitting would replay the first
    epoch exactly (same order, same augmented images, same dropout masks), and a run resumed at
    several epochs would see that one epoch again and again.

    Parameters
    ----------
    seed
        The run's seed.
    epochs_done
        Epochs the run finished before this sitting.

    Returns
    -------
    int
        A seed in ``[0, 2**31)``.
    """
    if epochs_done == 0:
        return seed
    return int(np.random.SeedSequence([seed, epochs_done]).generate_state(1)[0] % 2**31)


def _sitting_seed(folder: Path | None, config: TrainConfig) -> int:
    """:func:`sitting_seed` of a run in ``folder`` (an interrupted run of this very config)."""
    if folder is None or not (folder / "backup").exists() or not _same_config(folder, config):
        return config.seed
    log = folder / "log.csv"
    has_epochs = log.is_file() and log.stat().st_size > 0  # Keras opens the log before epoch 1
    return sitting_seed(config.seed, len(read_training_log(log)) if has_epochs else 0)


def _datasets(config: TrainConfig, train_data, val_data, model, teacher_probabilities, *, seed):
    """The shuffled, augmented training dataset and the validation dataset (one-hot targets)."""
    (x_train, y_train), (x_val, y_val) = train_data, val_data
    n_classes = int(model.output_shape[-1])
    y_train = np.asarray(y_train, dtype=np.int64)
    if y_train.min() < 0 or max(y_train.max(), np.max(y_val)) >= n_classes:
        raise InvalidInputError(f"labels must be in 0..{n_classes - 1} for this model.")
    weights = None
    if config.class_weight == "balanced":
        weights = class_weights(y_train, n_classes)[y_train].astype(np.float32)
    onehot_train = training_targets(
        np.eye(n_classes, dtype=np.float32)[y_train], teacher_probabilities, config.distill_weight
    )
    onehot_val = np.eye(n_classes, dtype=np.float32)[np.asarray(y_val, dtype=np.int64)]
    train_ds = make_dataset(
        x_train,
        onehot_train,
        batch_size=config.batch_size,
        shuffle=True,
        augment=config.augment,
        seed=seed,
        sample_weight=weights,
    )
    return train_ds, make_dataset(x_val, onehot_val, batch_size=512)


def _callbacks(config: TrainConfig, folder: Path | None, precision: str, *, extra, progress):
    """The epoch timer, the caller's callbacks, early stopping, and (with a folder) the
    checkpoint, the CSV log and the resume backup; the run's config is written to the folder.

    The caller's callbacks run right after the timer (which so leaves them out of an epoch's
    seconds) and before the others, so that metrics they add to the epoch's logs are seen by
    early stopping, the checkpoint and the CSV log.
    """
    keras = import_keras()

    from emostudy.training.callbacks import EpochTimer

    mode = _mode(config)
    callbacks = [
        EpochTimer(),
        *(extra or []),
        keras.callbacks.EarlyStopping(
            monitor=config.monitor,
            mode=mode,
            patience=config.early_stopping or config.epochs + 1,
            restore_best_weights=True,
        ),
    ]
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        _clear_other_runs(folder, config)
        (folder / "config.json").write_text(json.dumps(asdict(config), indent=2, default=str))
        (folder / "precision.txt").write_text(precision + "\n")
        callbacks += [
            keras.callbacks.ModelCheckpoint(
                folder / "best.keras", monitor=config.monitor, mode=mode, save_best_only=True
            ),
            keras.callbacks.CSVLogger(folder / "log.csv", append=True),
            keras.callbacks.BackupAndRestore(folder / "backup", delete_checkpoint=True),
        ]
    if progress:
        from tqdm.keras import TqdmCallback

        callbacks.append(TqdmCallback(verbose=0, desc="epochs"))
    return callbacks


def _mode(config: TrainConfig) -> str:
    return "min" if "loss" in config.monitor else "max"


def _result(model, history: pd.DataFrame, config: TrainConfig, **facts) -> TrainResult:
    """The :class:`TrainResult` of a run: its best epoch by the monitored metric."""
    scores = history[config.monitor]
    best_epoch = int(scores.idxmin() if _mode(config) == "min" else scores.idxmax())
    return TrainResult(
        model=model,
        history=history,
        best_epoch=best_epoch,
        best_score=float(scores[best_epoch]),
        n_params=int(model.count_params()),
        out_dir=facts["folder"],
        seconds=facts["seconds"],
        precision=facts["precision"],
    )


#: Config fields added after runs were stored, with the value that means "as before".
_LATER_FIELDS = {
    ("augment", "erasing"): 0.0,
    ("augment", "mixup"): 0.0,
    (None, "distill_weight"): 0.0,
}


def _with_later_defaults(stored: dict) -> dict:
    """A stored config with the fields added since filled with their old-behaviour values."""
    filled = json.loads(json.dumps(stored))
    for (section, key), value in _LATER_FIELDS.items():
        if section is None:
            filled.setdefault(key, value)
        elif isinstance(filled.get(section), dict):
            filled[section].setdefault(key, value)
    return filled


def _same_config(folder: Path, config: TrainConfig) -> bool:
    """Whether ``folder/config.json`` holds ``config`` (fields added later take their defaults)."""
    stored = folder / "config.json"
    if not stored.is_file():
        return False
    wanted = json.loads(json.dumps(asdict(config), default=str))
    return _with_later_defaults(json.loads(stored.read_text())) == wanted


def _clear_other_runs(folder: Path, config: TrainConfig) -> None:
    """Remove what another run left in ``folder`` before this one starts there.

    Only an interrupted run of this very ``config`` is resumed (its backup, log and best model
    stay). Anything else (a finished run, or a run of another config such as a quick profile's
    one-epoch run) would otherwise leave its epochs at the head of the CSV log, which appends, and
    its backup would be resumed as if it were this run's.
    """
    if (folder / "backup").exists() and _same_config(folder, config):
        return
    for name in ("log.csv", "best.keras", "precision.txt"):
        (folder / name).unlink(missing_ok=True)
    shutil.rmtree(folder / "backup", ignore_errors=True)


def _finished_run(out_dir, config: TrainConfig) -> TrainResult | None:
    """The result stored in ``out_dir`` if it holds a finished run of exactly ``config``.

    A run is finished when its ``config.json`` equals ``config``, its log has all
    ``config.epochs`` epochs, ``best.keras`` exists and no resume backup is left. Its model is
    loaded from ``best.keras``; ``seconds`` is 0 (nothing was trained now; the log keeps the
    seconds of every epoch).
    """

    if out_dir is None:
        return None
    folder = Path(out_dir)
    files = [folder / name for name in ("config.json", "log.csv", "best.keras")]
    if not all(f.is_file() for f in files) or (folder / "backup").exists():
        return None
    if not _same_config(folder, config):
        return None
    history = read_training_log(folder / "log.csv")
    if len(history) != config.epochs:
        return None
    keras = import_keras()

    import emostudy.models.layers  # noqa: F401  (registers the custom layers for loading)

    model = keras.models.load_model(folder / "best.keras", compile=False)
    precision = _stored_precision(folder)
    return _result(model, history, config, folder=folder, seconds=0.0, precision=precision)


def _stored_precision(folder: Path) -> str | None:
    """The precision a stored run used (``precision.txt``; None for runs stored before it)."""
    path = folder / "precision.txt"
    return path.read_text().strip() if path.is_file() else None
