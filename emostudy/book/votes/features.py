"""The frozen trunk of the base model and its cached activations: the ``features`` stage.

The first conv blocks of a shipped model, up to the layer ``cut``, are copied into a frozen
network (:func:`build_trunk`) whose output is computed once per face and view
(:func:`extract_features`) and saved in a work folder (:func:`stage_features`, which also
records the settings in ``features.json``, read back by :func:`feature_cut`).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from emostudy.book.votes.views import CROP, Views, centre_and_flip, crop_view, training_views
from emostudy.errors import InvalidInputError

#: Name of the v3 layer whose output is cached: the input of the last conv block.
DEFAULT_CUT = "max_pooling2d_2"

#: The cut before the first conv layer: nothing is frozen, the cached "activations" are the
#: face windows themselves (``(crop, crop, 1)`` pixels scaled as the model's input), and every
#: conv block is fine-tuned.
INPUT_CUT = "input"


def _clone_layer(layer):
    """A new layer with the same config and weights (built on first call)."""
    clone = layer.__class__.from_config(layer.get_config())
    return clone


def apply_copies(layers, x):
    """Apply fresh copies of ``layers`` to tensor ``x``; copy the weights once built."""
    copies = []
    for layer in layers:
        clone = _clone_layer(layer)
        x = clone(x)
        clone.set_weights(layer.get_weights())
        copies.append(clone)
    return x, copies


def layer_index(model, name: str) -> int:
    """Position of the layer ``name`` in ``model.layers`` (a typed error lists the layers if
    there is none)."""
    names = [layer.name for layer in model.layers]
    if name not in names:
        raise InvalidInputError(f"The model has no layer {name!r}; its layers: {names}.")
    return names.index(name)


def conv_layers(model) -> list:
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


def n_frozen_layers(model, cut: str) -> int:
    """How many of ``model``'s conv-trunk layers (:func:`conv_layers`) lie at or before ``cut``:
    0 for :data:`INPUT_CUT`."""
    if cut == INPUT_CUT:
        return 0
    names = [layer.name for layer in conv_layers(model)]
    return names.index(model.layers[layer_index(model, cut)].name) + 1


def build_trunk(model, *, cut: str = DEFAULT_CUT, crop: int = CROP):
    """The frozen part of ``model``: ``(N, crop, crop, 1)`` windows in [0, 1] → activation at
    ``cut`` (for v3, ``(N, 5, 5, 192)``; the windows themselves for :data:`INPUT_CUT`). Fresh
    layers with copied weights (``model`` is not modified)."""
    import keras

    layers = conv_layers(model)[: n_frozen_layers(model, cut)]
    inputs = keras.Input((crop, crop, 1), name="window")
    outputs, _ = apply_copies(layers, inputs)
    if not layers:
        outputs = keras.layers.Identity(name="pixels")(inputs)
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


def stage_logger(path: Path):
    """A ``log(message)`` function that prints a timestamped line and appends it to ``path``."""

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
    log = stage_logger(work / "features.log")
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


def feature_settings(work: Path) -> dict[str, Any]:
    """The settings :func:`stage_features` wrote to ``<work>/features.json`` (empty if none)."""
    path = work / "features.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def feature_cut(work: Path) -> str:
    """The layer the cached features of ``work`` were cut at (``features.json``)."""
    return feature_settings(work).get("cut", DEFAULT_CUT)
