"""The trained part of the FER+ model: the blocks after the cut and a new head, trained on
cached activations against the vote shares or the majority (the ``train`` stage), and the
network for whole faces that joins them to the frozen trunk.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from emostudy.book.votes.features import (
    CROP,
    DEFAULT_CUT,
    INPUT_CUT,
    apply_copies,
    conv_layers,
    feature_cut,
    n_frozen_layers,
    stage_logger,
)
from emostudy.errors import InvalidInputError


def build_head(
    model, n_classes: int, *, cut: str = DEFAULT_CUT, dropout: float = 0.3, seed: int = 0
):
    """The trainable part: ``model``'s layers after ``cut`` (copies, weights from ``model``),
    global average pooling, dropout and a new ``Dense(n_classes)`` logits layer.

    The new layer starts from ``model``'s own logits layer for the classes they share (the first
    7, FER-2013's), the 8th (``contempt``) from a small random column and the mean bias.
    """
    import keras

    layers = conv_layers(model)
    shape = (CROP, CROP, model.input_shape[-1]) if cut == INPUT_CUT else None
    inputs = keras.Input(shape or model.get_layer(cut).output.shape[1:], name="cut")
    x, _ = apply_copies(layers[n_frozen_layers(model, cut) :], inputs)
    x = keras.layers.GlobalAveragePooling2D(name="global_average_pooling2d")(x)
    x = keras.layers.Dropout(dropout, seed=seed, name="head_dropout")(x)
    dense = keras.layers.Dense(n_classes, name="logits")
    outputs = dense(x)
    old_kernel, old_bias = model.layers[-1].get_weights()
    rng = np.random.default_rng(seed)
    kernel = rng.normal(0, 0.01, size=(old_kernel.shape[0], n_classes)).astype(np.float32)
    bias = np.full(n_classes, old_bias.mean(), dtype=np.float32)
    shared = min(n_classes, old_kernel.shape[1])
    kernel[:, :shared] = old_kernel[:, :shared]
    bias[:shared] = old_bias[:shared]
    dense.set_weights([kernel, bias])
    return keras.Model(inputs, outputs, name=f"head{n_classes}")


def assemble_model(model, head, *, temperature: float = 1.0, cut: str = DEFAULT_CUT, name: str):
    """One network for whole faces: ``model``'s input and crop layer, its frozen trunk up to
    ``cut``, then ``head``'s layers (without dropout), logits divided by ``temperature`` (baked
    into the last Dense layer: kernel and bias divided by ``T``).

    Input: ``(N, 48, 48, 1)`` float32 faces scaled as :func:`emostudy.preprocessing.to_model_input`
    does; output: ``(N, n_classes)`` logits. Fresh layers with copied weights.
    """
    import keras

    if not temperature > 0:
        raise InvalidInputError(f"temperature must be positive, got {temperature!r}.")
    inputs = keras.Input(model.input_shape[1:], name="face")
    crops = [layer for layer in model.layers if layer.__class__.__name__ == "RandomFaceCrop"]
    x, _ = apply_copies(crops, inputs)
    x, _ = apply_copies(conv_layers(model)[: n_frozen_layers(model, cut)], x)
    head_layers = [
        layer
        for layer in head.layers
        if not isinstance(layer, keras.layers.InputLayer | keras.layers.Dropout)
    ]
    x, copies = apply_copies(head_layers, x)
    kernel, bias = copies[-1].get_weights()
    copies[-1].set_weights([kernel / temperature, bias / temperature])
    return keras.Model(inputs, x, name=name)


class _Batches:
    """Training batches from cached features: each epoch one random view per face."""

    def __init__(self, features, targets, *, batch_size: int, seed: int):
        import keras

        class Data(keras.utils.PyDataset):
            def __init__(inner):
                super().__init__()
                inner.rng = np.random.default_rng(seed)
                inner.on_epoch_end()

            def __len__(inner):
                return int(np.ceil(len(features) / batch_size))

            def on_epoch_end(inner):
                inner.order = inner.rng.permutation(len(features))
                inner.view = inner.rng.integers(0, features.shape[1], size=len(features))

            def __getitem__(inner, i):
                rows = inner.order[i * batch_size : (i + 1) * batch_size]
                x = features[rows, inner.view[rows]].astype(np.float32)
                return x, targets[rows].astype(np.float32)

        self.data = Data()


def flip_logits(head, features: np.ndarray, *, batch_size: int = 512) -> np.ndarray:
    """Logits averaged over the cached views (centre and mirror: flip test-time averaging)."""
    total = 0.0
    for v in range(features.shape[1]):
        x = features[:, v].astype(np.float32)
        total = total + np.asarray(head.predict(x, batch_size=batch_size, verbose=0))
    return total / features.shape[1]


@dataclass(frozen=True)
class HeadConfig:
    """How a head is trained: targets ``"shares"`` (soft cross-entropy against the vote
    distribution) or ``"majority"`` (one-hot majority label); ``n_classes`` 7 or 8;
    ``class_balance`` the exponent ``a`` of class weights ``w_k ∝ prior_k ** -a`` on the loss
    (0: none; 1: every class weighs as much in total; priors are the mean training targets)."""

    targets: str = "shares"
    n_classes: int = 8
    class_balance: float = 0.0
    epochs: int = 8
    batch_size: int = 128
    learning_rate: float = 5e-4
    weight_decay: float = 1e-4
    dropout: float = 0.3
    patience: int = 2
    seed: int = 2026

    @property
    def name(self) -> str:
        return f"{self.targets}{self.n_classes}" + ("w" if self.class_balance else "")

    @classmethod
    def from_name(cls, name: str, **options) -> HeadConfig:
        """The config a candidate's name stands for: ``shares8``, ``majority7``, ...; a final
        ``w`` adds class weights with :data:`CLASS_BALANCE` (``shares8w``)."""
        found = re.fullmatch(r"(shares|majority)([78])(w?)", name)
        if found is None:
            raise InvalidInputError(
                f"Unknown candidate {name!r}: use shares7, shares8, majority7 or majority8, "
                "with a final 'w' for class weights (shares8w)."
            )
        targets, n_classes, weighted = found.groups()
        balance = CLASS_BALANCE if weighted else 0.0
        return cls(targets=targets, n_classes=int(n_classes), class_balance=balance, **options)


#: The exponent of a weighted candidate's class weights: inverse square-root frequency, halfway
#: between none and fully balanced.
CLASS_BALANCE = 0.5


def train_head(
    model,
    config: HeadConfig,
    train_features: np.ndarray,
    train_targets: np.ndarray,
    select_features: np.ndarray,
    select_majority: np.ndarray,
    *,
    out_dir: str | os.PathLike,
    cut: str = DEFAULT_CUT,
    log=print,
    callbacks: Sequence = (),
):
    """Fine-tune ``model``'s layers after ``cut`` and a new head on cached features.

    A run interrupted after an epoch resumes from its backup (``<out_dir>/<name>.backup``) when
    started again with the same ``out_dir``: the weights, optimiser and epoch come back (the
    batches and dropout draw from :func:`emostudy.training.sitting_seed`), the best
    checkpoint is only replaced by a better epoch, and early stopping counts its patience again
    from the resumed epoch. A run that finds no backup starts afresh.

    Parameters
    ----------
    train_features
        ``(N, V, *cut_shape)`` cached activations (:func:`extract_features`); each epoch sees one
        random view of each face.
    train_targets
        ``(N, n_classes)`` targets (vote shares or one-hot majority).
    select_features, select_majority
        PublicTest: ``(M, 2, *cut_shape)`` centre and mirror activations, and ``(M,)`` majority
        labels in 0..6 (the 7 shared classes); the selection metric ``val_majority_accuracy`` is
        the flip-averaged accuracy over the 7 shared outputs.

    Returns
    -------
    (keras.Model, pandas.DataFrame)
        The head with the weights of its best epoch (checkpoint ``<out_dir>/<name>.weights.h5``)
        and the epoch log of the whole run (``<out_dir>/<name>.log.csv``).
    callbacks
        More Keras callbacks for the fit (e.g. one that stops the run).
    """
    import keras
    import pandas as pd

    from emostudy.training import sitting_seed

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    backup, log_path = out / f"{config.name}.backup", out / f"{config.name}.log.csv"
    resuming = backup.exists() and log_path.is_file()
    done = len(pd.read_csv(log_path)) if resuming and log_path.stat().st_size else 0
    seed = sitting_seed(config.seed, done)  # a resumed sitting does not replay the first epoch
    keras.utils.set_random_seed(seed)
    head = build_head(model, config.n_classes, cut=cut, dropout=config.dropout, seed=seed)
    data = _Batches(train_features, train_targets, batch_size=config.batch_size, seed=seed)
    steps = len(data.data) * config.epochs
    schedule = keras.optimizers.schedules.CosineDecay(config.learning_rate, steps)
    head.compile(
        optimizer=keras.optimizers.AdamW(schedule, weight_decay=config.weight_decay),
        loss=keras.losses.CategoricalCrossentropy(from_logits=True),
    )

    class Select(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            logits = flip_logits(self.model, select_features)[:, :7]
            accuracy = float((logits.argmax(axis=1) == select_majority).mean())
            logs["val_majority_accuracy"] = accuracy
            logs["seconds"] = time.perf_counter() - self.start
            log(
                f"{config.name} epoch {epoch + 1}: loss {logs['loss']:.4f}, PublicTest majority "
                f"(flip) {accuracy:.4f}, {logs['seconds']:.0f} s"
            )

    if not resuming:
        shutil.rmtree(backup, ignore_errors=True)
        log_path.unlink(missing_ok=True)
    best_so_far = (
        float(pd.read_csv(log_path)["val_majority_accuracy"].max())
        if resuming and log_path.stat().st_size
        else None
    )
    fit_callbacks = [
        Select(),
        keras.callbacks.ModelCheckpoint(
            out / f"{config.name}.weights.h5",
            monitor="val_majority_accuracy",
            mode="max",
            save_best_only=True,
            save_weights_only=True,
            initial_value_threshold=best_so_far,
        ),
        keras.callbacks.EarlyStopping(
            monitor="val_majority_accuracy", mode="max", patience=config.patience
        ),
        keras.callbacks.CSVLogger(str(log_path), append=True),
        keras.callbacks.BackupAndRestore(str(backup), delete_checkpoint=True),
        *callbacks,
    ]
    head.fit(data.data, epochs=config.epochs, callbacks=fit_callbacks, verbose=0)
    head.load_weights(out / f"{config.name}.weights.h5")
    return head, pd.read_csv(log_path)


def cached_votes(work: Path, usage: str):
    """FER+ votes for the cached faces of ``usage`` (all of them, unfiltered, in cache order)."""
    from emostudy.data import load_fer2013, load_ferplus

    faces = load_fer2013(usage=usage, progress=False)
    files = (work / f"files_{usage}.txt").read_text().split()
    if list(faces.meta["source"]) != files:
        raise InvalidInputError(f"The cached {usage} features were made from other files.")
    return load_ferplus(faces, ferplus_filter=False)


def training_targets(votes, config: HeadConfig) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the Training faces a head learns from, and their ``(n, n_classes)`` targets.

    Kept: faces whose majority is one of the ``n_classes`` classes (the FER+ filter, and for 7
    classes no majority ``contempt``). Targets: vote shares over the ``n_classes`` classes, or
    the one-hot majority.
    """
    keep = np.flatnonzero((votes.majority >= 0) & (votes.majority < config.n_classes))
    if config.targets == "shares":
        targets = votes.shares(config.n_classes)[keep]
    elif config.targets == "majority":
        targets = np.eye(config.n_classes)[votes.majority[keep]]
    else:
        raise InvalidInputError(f"targets must be 'shares' or 'majority', got {config.targets!r}.")
    if config.class_balance:
        # cross-entropy against w_k * t_k weighs class k's term by w_k (the targets need not sum
        # to one); the weights average to one over the training targets
        prior = targets.mean(axis=0)
        weights = np.where(prior > 0, prior, 1.0) ** -config.class_balance
        targets = targets * (weights / (prior * weights).sum())
    return keep, targets.astype(np.float32)


def stage_train(
    work_dir: str | os.PathLike,
    *,
    candidates: Sequence[str],
    epochs: int = 8,
    learning_rate: float | None = None,
    class_balance: float | None = None,
    base_model: str = "fer2013_vgg_lite_v3",
) -> None:
    """Train the named candidates (``shares7``, ``shares8``, ``majority7``, ``majority8``; a
    final ``w`` adds class weights, :meth:`HeadConfig.from_name`) on the cached features;
    write their heads, logs, PublicTest flip logits and timings. ``learning_rate``: the peak of
    the cosine schedule (None: :class:`HeadConfig`'s; a full fine-tune may want less).
    ``class_balance``: the class-weight exponent of the ``w`` candidates (None:
    :data:`CLASS_BALANCE`)."""
    from emostudy.models import load_emotion_model

    work = Path(work_dir)
    log = stage_logger(work / "train.log")
    model = load_emotion_model(base_model)
    train_votes = cached_votes(work, "Training")
    select_votes = cached_votes(work, "PublicTest")
    train_features = np.load(work / "features_Training.npy", mmap_mode="r")
    select_features = np.load(work / "features_PublicTest.npy")
    cut = feature_cut(work)
    seven = np.flatnonzero((select_votes.majority >= 0) & (select_votes.majority < 7))
    log(f"loaded: Training {train_features.shape}, PublicTest {select_features.shape}")
    for name in candidates:
        options = {} if learning_rate is None else {"learning_rate": learning_rate}
        config = HeadConfig.from_name(name, epochs=epochs, **options)
        if class_balance is not None and config.class_balance:
            config = replace(config, class_balance=class_balance)
        keep, targets = training_targets(train_votes, config)
        features = np.ascontiguousarray(train_features[keep])
        start = time.perf_counter()
        head, history = train_head(
            model,
            config,
            features,
            targets,
            select_features[seven],
            select_votes.majority[seven],
            out_dir=work / "heads",
            cut=cut,
            log=log,
        )
        seconds = time.perf_counter() - start
        np.save(
            work / "heads" / f"{name}_publictest_logits.npy", flip_logits(head, select_features)
        )
        info = {
            "config": asdict(config),
            "n_train": int(len(keep)),
            "training_seconds": seconds,
            "epochs_run": int(len(history)),
            "best_epoch": int(history["val_majority_accuracy"].to_numpy().argmax() + 1),
            "median_epoch_seconds": float(history["seconds"].median()),
        }
        (work / "heads" / f"{name}.json").write_text(json.dumps(info, indent=1))
        log(f"{name}: {info}")
        del features
