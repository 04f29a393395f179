"""Seeded Keras training: tf.data input, augmentation, schedules, checkpoints, logs and resume.

One entry point, :func:`train`, used by every chapter that fits a Keras model::

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
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from emostudy.errors import InvalidInputError

OPTIMIZERS = ("adam", "adamw", "sgd")
SCHEDULES = ("constant", "cosine")
PRECISIONS = ("float32", "mixed_bfloat16")


@dataclass(frozen=True)
class Augmentation:
    """Random training-time transforms; fractions are of the image size or of a full turn.

    ``flip``, ``rotation``, ``shift`` and ``zoom`` are Keras' random image layers, ``erasing`` is
    :class:`~emostudy.models.layers.RandomPatchErasing` (probability per image), and ``mixup`` is
    the ``alpha`` of Keras' ``MixUp``, which blends each image and its label
    with another of the batch (weight drawn from Beta(alpha, alpha); 0 switches it off).
    """

    flip: bool = True  # horizontal flips (faces are roughly symmetric)
    rotation: float = 0.05  # up to +-5% of 360 degrees = +-18 degrees
    shift: float = 0.1  # up to +-10% of 48 px = +-4.8 px, both axes
    zoom: float = 0.1  # up to +-10%
    erasing: float = 0.0  # probability of erasing a random patch (2-33% of the image) with noise
    mixup: float = 0.0  # Beta(alpha, alpha) of mixup blending image pairs and labels; 0: off


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run besides the data and the architecture."""

    epochs: int = 30
    batch_size: int = 128
    learning_rate: float = 1e-3
    optimizer: str = "adam"  # one of OPTIMIZERS
    weight_decay: float = 0.0  # decoupled weight decay (adamw) per step, relative
    momentum: float = 0.9  # sgd only
    schedule: str = "constant"  # "cosine": linear warm-up then cosine decay to 0
    warmup_epochs: int = 0
    label_smoothing: float = 0.0
    class_weight: str | None = None  # "balanced": weight classes by inverse frequency
    augment: Augmentation | None = None
    early_stopping: int | None = None  # patience in epochs; None: run all epochs, keep the best
    monitor: str = "val_accuracy"
    # "mixed_bfloat16": bf16 compute, float32 weights; used only where the CPU has bf16 units
    precision: str = "float32"
    seed: int = 0
    # weight of a teacher's probabilities in the training targets (knowledge distillation):
    # target = (1 - w) * one-hot label + w * teacher; needs train(teacher_probabilities=...)
    distill_weight: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)  # free-form notes stored with the run

    def __post_init__(self):
        if self.optimizer not in OPTIMIZERS:
            raise InvalidInputError(
                f"optimizer must be one of {OPTIMIZERS}, not {self.optimizer!r}."
            )
        if self.schedule not in SCHEDULES:
            raise InvalidInputError(f"schedule must be one of {SCHEDULES}, not {self.schedule!r}.")
        if self.precision not in PRECISIONS:
            raise InvalidInputError(
                f"precision must be one of {PRECISIONS}, not {self.precision!r}."
            )
        if self.epochs < 1 or self.batch_size < 1:
            raise InvalidInputError("epochs and batch_size must be positive.")
        if not 0.0 <= self.distill_weight <= 1.0:
            raise InvalidInputError(
                f"distill_weight must be in [0, 1] (got {self.distill_weight}): it is the share "
                "of the teacher's probabilities in the training targets."
            )


@dataclass
class TrainResult:
    """What a run produced. ``model`` carries the weights of the best epoch."""

    model: Any
    history: pd.DataFrame  # one row per epoch: loss, accuracy, val_loss, val_accuracy, lr, seconds
    best_epoch: int  # 1-based
    best_score: float  # value of config.monitor at best_epoch
    seconds: float  # wall time of fit()
    n_params: int
    out_dir: Path | None
    #: The precision the run used: ``config.precision``, or ``"float32"`` where that asked for
    #: ``"mixed_bfloat16"`` on a CPU that would only emulate it (None: not recorded).
    precision: str | None = None

    @property
    def seconds_per_epoch(self) -> float:
        return float(self.history["seconds"].median())


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow (``keras.utils.set_random_seed``)."""
    import keras

    keras.utils.set_random_seed(seed)


def make_augmenter(augment: Augmentation, seed: int):
    """A Keras model of random layers implementing ``augment`` (identity at inference)."""
    import keras

    layers = []
    if augment.flip:
        layers.append(keras.layers.RandomFlip("horizontal", seed=seed))
    if augment.rotation:
        layers.append(keras.layers.RandomRotation(augment.rotation, fill_mode="reflect", seed=seed))
    if augment.shift:
        layers.append(
            keras.layers.RandomTranslation(
                augment.shift, augment.shift, fill_mode="reflect", seed=seed
            )
        )
    if augment.zoom:
        layers.append(keras.layers.RandomZoom(augment.zoom, fill_mode="reflect", seed=seed))
    if augment.erasing:
        from emostudy.models.layers import RandomPatchErasing

        layers.append(RandomPatchErasing(augment.erasing, seed=seed))
    return keras.Sequential(layers, name="augmentation")


def make_dataset(
    x: np.ndarray,
    y: np.ndarray,
    *,
    batch_size: int,
    shuffle: bool = False,
    augment: Augmentation | None = None,
    seed: int = 0,
    sample_weight: np.ndarray | None = None,
):
    """Batched, prefetched ``tf.data.Dataset`` of ``(x, y[, weight])``, shuffled or augmented.

    With ``augment``, each batch goes through :func:`make_augmenter`; with ``augment.mixup``, then
    through Keras' ``MixUp``, which blends every image and its one-hot ``y`` (shape (N, classes))
    with another image of the batch (sample weights are left as they are). The augmentation runs in
    a private one-thread pool, so that on a small CPU it takes at most one core from the training
    step.
    """
    import tensorflow as tf

    tensors = (x, y) if sample_weight is None else (x, y, sample_weight)
    data = tf.data.Dataset.from_tensor_slices(tensors)
    if shuffle:
        data = data.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    data = data.batch(batch_size)
    if augment is not None:
        augmenter = make_augmenter(augment, seed)
        if augmenter.layers:

            def transform(xb, *rest):
                return (augmenter(xb, training=True), *rest)

            data = data.map(transform, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        if augment.mixup:
            import keras

            mixup = keras.layers.MixUp(alpha=augment.mixup, seed=seed)

            def blend(xb, yb, *rest):
                mixed = mixup({"images": xb, "labels": yb}, training=True)
                return (mixed["images"], mixed["labels"], *rest)

            data = data.map(blend, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        options = tf.data.Options()
        options.threading.private_threadpool_size = 1
        data = data.with_options(options)
    return data.prefetch(tf.data.AUTOTUNE)


def _optimizer(config: TrainConfig, steps_per_epoch: int):
    import keras

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


@contextlib.contextmanager
def _precision_policy(precision: str):
    """Build under the Keras dtype policy ``precision``; restore the previous policy after."""
    import keras

    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(precision)
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


def as_float32(model):
    """A float32 copy of ``model`` (same architecture and weights), e.g. after mixed-precision
    training, so that inference gives the same numbers on CPUs with and without bfloat16."""
    with _precision_policy("float32"):
        copy = model.__class__.from_config(_float32_config(model.get_config()))
    copy.set_weights(model.get_weights())
    return copy


def _float32_config(config):
    """``config`` (a Keras model config) with every layer's dtype policy set to float32."""
    if isinstance(config, dict):
        if config.get("class_name") in {"DTypePolicy", "DTypePolicyMap"}:
            return "float32"
        return {key: _float32_config(value) for key, value in config.items()}
    if isinstance(config, list):
        return [_float32_config(item) for item in config]
    return config


def _training_targets(onehot: np.ndarray, teacher: np.ndarray | None, weight: float) -> np.ndarray:
    """One-hot labels (N, C) blended with a teacher's probabilities (N, C) by ``weight``."""
    if teacher is None:
        if weight > 0:
            raise InvalidInputError(
                f"distill_weight={weight} needs teacher_probabilities (one row of class "
                "probabilities per training input)."
            )
        return onehot
    if weight == 0:
        raise InvalidInputError(
            "teacher_probabilities were given but distill_weight is 0, so they would be ignored; "
            "set TrainConfig(distill_weight=...) in (0, 1]."
        )
    teacher = np.asarray(teacher, dtype=np.float32)
    if teacher.shape != onehot.shape:
        raise InvalidInputError(
            f"teacher_probabilities must have shape {onehot.shape} (training inputs x classes), "
            f"got {teacher.shape}."
        )
    if not np.isfinite(teacher).all() or (teacher < 0).any():
        raise InvalidInputError("teacher_probabilities must be finite and non-negative.")
    if not np.allclose(teacher.sum(axis=1), 1.0, atol=1e-3):
        raise InvalidInputError(
            "teacher_probabilities rows must sum to 1 (apply a softmax to logits first)."
        )
    return ((1.0 - weight) * onehot + weight * teacher).astype(np.float32)


def _class_weights(y: np.ndarray, n_classes: int) -> np.ndarray:
    from sklearn.utils.class_weight import compute_class_weight

    present = np.unique(y)
    weights = np.ones(n_classes)
    weights[present] = compute_class_weight("balanced", classes=present, y=y)
    return weights


class _EpochTimer:
    """Keras callback factory: records wall seconds and learning rate of every epoch."""

    @staticmethod
    def make():
        import keras

        class EpochTimer(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                self._start = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                logs["seconds"] = time.perf_counter() - self._start
                optimizer = self.model.optimizer
                logs["lr"] = float(np.asarray(optimizer.learning_rate))

        return EpochTimer()


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
        ``(x, y)``: inputs as float32 arrays (e.g. :func:`emostudy.preprocessing.to_model_input`),
        integer labels of shape (N,).
    config
        Optimiser, schedule, regularisation, augmentation, stopping, precision and seed.
        ``precision="mixed_bfloat16"`` trains in float32 instead, with a ``RuntimeWarning``, on a
        CPU that would only emulate bfloat16 (:func:`emostudy.timing.has_native_bfloat16`).
    out_dir
        Folder for ``best.keras``, ``log.csv``, ``config.json`` and the resume backup. A run
        started again with the same ``out_dir`` continues from its last finished epoch; a run
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
        :meth:`emostudy.models.recipes.Recipe.teacher_probabilities`). Each training target
        becomes ``(1 - config.distill_weight) * one_hot(label) + config.distill_weight *
        teacher``; label smoothing then applies on top. The teacher sees the un-augmented
        image (offline distillation). Required exactly when ``config.distill_weight > 0``.
    """

    import keras

    from emostudy.timing import bfloat16_support, usable_precision

    config = config or TrainConfig()
    finished = _finished_run(out_dir, config)
    if finished is not None:
        return finished
    precision = usable_precision(config.precision)
    if precision != config.precision:
        warnings.warn(
            f"This CPU would only emulate bfloat16 ({bfloat16_support()}), many times slower "
            f"than float32: training in {precision} instead of {config.precision}. The result "
            "records the precision used (TrainResult.precision).",
            RuntimeWarning,
            stacklevel=2,
        )
    (x_train, y_train), (x_val, y_val) = train_data, val_data
    for name, (x, y) in {"train_data": train_data, "val_data": val_data}.items():
        if len(x) != len(y):
            raise InvalidInputError(f"{name}: {len(x)} inputs but {len(y)} labels.")
        if np.asarray(x).dtype != np.float32:
            raise InvalidInputError(
                f"{name}: inputs must be float32 (got {np.asarray(x).dtype}); "
                "use emostudy.preprocessing.to_model_input for face images."
            )
    set_seed(config.seed)
    scope = strategy.scope() if strategy is not None else contextlib.nullcontext()
    with scope, _precision_policy(precision):
        model = build()
        n_classes = int(model.output_shape[-1])
        steps = int(np.ceil(len(x_train) / config.batch_size))
        model.compile(
            optimizer=_optimizer(config, steps),
            loss=keras.losses.CategoricalCrossentropy(
                from_logits=True, label_smoothing=config.label_smoothing
            ),
            metrics=[keras.metrics.CategoricalAccuracy(name="accuracy")],
        )
    multiworker = strategy is not None and _is_multiworker(strategy)
    if multiworker:
        _build_from_local_batch(model)
    y_train = np.asarray(y_train, dtype=np.int64)
    if y_train.min() < 0 or max(y_train.max(), np.max(y_val)) >= n_classes:
        raise InvalidInputError(f"labels must be in 0..{n_classes - 1} for this model.")
    weights = None
    if config.class_weight == "balanced":
        weights = _class_weights(y_train, n_classes)[y_train].astype(np.float32)
    onehot_train = _training_targets(
        np.eye(n_classes, dtype=np.float32)[y_train], teacher_probabilities, config.distill_weight
    )
    onehot_val = np.eye(n_classes, dtype=np.float32)[np.asarray(y_val, dtype=np.int64)]
    train_ds = make_dataset(
        x_train,
        onehot_train,
        batch_size=config.batch_size,
        shuffle=True,
        augment=config.augment,
        seed=config.seed,
        sample_weight=weights,
    )
    val_ds = make_dataset(x_val, onehot_val, batch_size=512)

    mode = "min" if "loss" in config.monitor else "max"
    # The caller's callbacks run right after the timer (which so leaves them out of an epoch's
    # seconds) and before the others, so that metrics they add to the epoch's logs are seen by
    # early stopping, the checkpoint and the CSV log.
    callbacks = [
        _EpochTimer.make(),
        *(callbacks or []),
        keras.callbacks.EarlyStopping(
            monitor=config.monitor,
            mode=mode,
            patience=config.early_stopping or config.epochs + 1,
            restore_best_weights=True,
        ),
    ]
    folder = Path(out_dir) if out_dir is not None else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
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
    start = time.perf_counter()
    with _scalar_metric_reduction() if multiworker else contextlib.nullcontext():
        fit = model.fit(
            train_ds,
            validation_data=val_ds,
            epochs=config.epochs,
            callbacks=callbacks,
            verbose=0,
            shuffle=False,  # the tf.data pipeline shuffles
        )
    seconds = time.perf_counter() - start
    history = pd.DataFrame(fit.history)
    if folder is not None and (folder / "log.csv").is_file():
        history = pd.read_csv(folder / "log.csv").drop_duplicates("epoch", keep="last")
        history = history.drop(columns="epoch").reset_index(drop=True)
    history.index = pd.RangeIndex(1, len(history) + 1, name="epoch")
    scores = history[config.monitor]
    best_epoch = int(scores.idxmin() if mode == "min" else scores.idxmax())
    return TrainResult(
        model=model,
        history=history,
        best_epoch=best_epoch,
        best_score=float(scores[best_epoch]),
        seconds=seconds,
        n_params=int(model.count_params()),
        out_dir=folder,
        precision=precision,
    )


def _is_multiworker(strategy) -> bool:
    import tensorflow as tf

    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)


def _build_from_local_batch(model) -> None:
    """Let ``model.fit`` start under ``MultiWorkerMirroredStrategy`` with Keras 3.

    Before training, Keras' TensorFlow trainer builds the model's metrics and optimiser from one
    batch, which it averages across all replicas with ``strategy.reduce``; under the multi-worker
    strategy that reduce fails outside a ``tf.function`` ("Attempt to convert a value
    (PerReplica ...)", keras-team/keras#20585). Only the batch's shapes matter for the build, so
    this model builds from this worker's own share of the batch instead. Everything else (the
    all-reduced gradients, the synchronised weights) is Keras' and TensorFlow's.
    """
    import tensorflow as tf

    def local(value):
        if isinstance(value, tf.distribute.DistributedValues):
            return model.distribute_strategy.experimental_local_results(value)[0]
        return value

    def build(iterator=None, data_batch=None):
        if iterator is not None:
            for _, _, batches in iterator:
                data_batch = tf.nest.map_structure(local, next(batches))
                break
        with model.distribute_strategy.scope():
            model._symbolic_build(data_batch=data_batch)

    model._maybe_symbolic_build = build


@contextlib.contextmanager
def _scalar_metric_reduction():
    """Average per-replica *scalar* metrics across workers as TensorFlow intends.

    Keras 3's TensorFlow trainer averages each step's metrics over the replicas of a
    multi-worker strategy with ``strategy.reduce("MEAN", value, axis=0)``, which fails for the
    scalar loss and accuracy ("Invalid reduction dimension 0 for input with 0 dimensions",
    keras-team/keras#20585). Inside this context scalars are reduced with ``axis=None`` (the
    mean over replicas); tensors with a batch axis keep Keras' own reduction.
    """
    from keras.src.backend.tensorflow import trainer as tf_trainer

    original = tf_trainer.reduce_per_replica

    def reduce_per_replica(values, strategy, reduction):
        import tensorflow as tf

        if reduction in ("auto", "mean"):

            def mean(value):
                local = value.values[0] if hasattr(value, "values") else value
                if getattr(local, "shape", None) is not None and local.shape.rank == 0:
                    return strategy.reduce("MEAN", value, axis=None)
                return original(value, strategy, reduction)

            return tf.nest.map_structure(mean, values)
        return original(values, strategy, reduction)

    tf_trainer.reduce_per_replica = reduce_per_replica
    try:
        yield
    finally:
        tf_trainer.reduce_per_replica = original


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
    stored = json.loads((folder / "config.json").read_text())
    if _with_later_defaults(stored) != json.loads(json.dumps(asdict(config), default=str)):
        return None
    history = pd.read_csv(folder / "log.csv").drop_duplicates("epoch", keep="last")
    if len(history) != config.epochs:
        return None
    import keras

    import emostudy.models.layers  # noqa: F401  (registers the custom layers for loading)

    model = keras.models.load_model(folder / "best.keras", compile=False)
    history = history.drop(columns="epoch").reset_index(drop=True)
    history.index = pd.RangeIndex(1, len(history) + 1, name="epoch")
    scores = history[config.monitor]
    best_epoch = int(scores.idxmin() if "loss" in config.monitor else scores.idxmax())
    return TrainResult(
        model=model,
        history=history,
        best_epoch=best_epoch,
        best_score=float(scores[best_epoch]),
        seconds=0.0,
        n_params=int(model.count_params()),
        out_dir=folder,
        precision=_stored_precision(folder),
    )


def _stored_precision(folder: Path) -> str | None:
    """The precision a stored run used (``precision.txt``; None for runs stored before it)."""
    path = folder / "precision.txt"
    return path.read_text().strip() if path.is_file() else None


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


def predict_logits(
    model,
    x: np.ndarray,
    *,
    batch_size: int = 512,
    flip_tta: bool = False,
    tta: str | None = None,
    shift: int = 2,
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
    """
    if flip_tta:
        if tta not in (None, "flip"):
            raise InvalidInputError(f"flip_tta=True contradicts tta={tta!r}; pass only tta.")
        tta = "flip"
    return predict_logits_by_tta(model, x, up_to=tta, batch_size=batch_size, shift=shift)[tta]


def predict_logits_by_tta(
    model, x: np.ndarray, *, up_to: str | None = "ten_crop", batch_size: int = 512, shift: int = 2
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
        return np.asarray(model.predict(images, batch_size=batch_size, verbose=0))

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
