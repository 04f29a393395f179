"""The headline FER-2013 model: its recipe, and the command that trains it.

Estimate how long training takes on this machine (a minute), then train (80 epochs; about an hour
on a 2-core CPU with AMX bfloat16 matrix units, longer without them)::

    emostudy headline estimate
    emostudy headline train --out runs/headline

The run is resumable: start the same command again after an interruption. At the end, the best
epoch on ``PublicTest`` is saved as a float32 Keras file (``model.keras``, no optimiser state)
together with ``summary.json`` (timings; PrivateTest is *not* evaluated here, chapter 9 does it).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from emostudy._quiet import import_keras
from emostudy.training.config import TrainConfig
from emostudy.training.recipes import HEADLINE, HEADLINE_V3, HEADLINE_V4, Recipe

#: The recipes ``train --recipe`` knows: v2, its v3 warm restart and the v4 distilled student.
RECIPES = {"v2": HEADLINE, "v3": HEADLINE_V3, "v4": HEADLINE_V4}


#: The name each recipe's model ships under.
PACKAGE_NAMES = {"v2": "fer2013_vgg_lite", "v3": "fer2013_vgg_lite_v3", "v4": "fer2013_vgg_lite_v4"}

#: Chapter 9's headline model: the best FER-2013-label candidate with at most two forward passes
#: per face on PublicTest (v3 with flip). It was the package's default until the FER+ model
#: (:data:`emostudy.models.DEFAULT_EMOTION_MODEL`), which starts from it.
FER2013_HEADLINE_MODEL = PACKAGE_NAMES["v3"]


#: Architecture name in :data:`emostudy.models.ARCHITECTURES`.
HEADLINE_ARCHITECTURE = HEADLINE.architecture


#: The training recipe of the headline model.
HEADLINE_CONFIG = HEADLINE.config


def train_headline(
    out_dir: str | os.PathLike,
    *,
    config: TrainConfig | None = None,
    recipe: Recipe = HEADLINE,
    snapshots: bool = False,
    profile: str = "full",
    strategy=None,
):
    """Train a headline recipe on the book's FER-2013 protocol; returns the TrainResult.

    ``config`` overrides the recipe's own (e.g. fewer epochs). With ``snapshots``, the model of
    every epoch is also kept (``epoch_NNN.keras`` in ``out_dir``) for snapshot ensembles.
    ``profile="quick"`` trains on 30 images per class and usage (a smoke test, e.g. of a
    cluster). ``strategy`` is a ``tf.distribute`` strategy
    (:func:`emostudy.training.multiworker_strategy` on a ``TF_CONFIG`` cluster).
    """
    keras = import_keras()

    from emostudy.data.profiles import load_fer2013_for
    from emostudy.data.protocol import fer2013_protocol
    from emostudy.models.inputs import to_model_input
    from emostudy.training.loop import train
    from emostudy.training.precision import as_float32

    config = config or recipe.config

    out = Path(out_dir)
    start = time.perf_counter()
    fer = load_fer2013_for(profile, quick_per_class=30, seed=config.seed)
    data = fer2013_protocol(fer)
    train_xy = (to_model_input(data.train.images), data.train.labels)
    select_xy = (to_model_input(data.select.images), data.select.labels)
    callbacks = []
    if snapshots:
        out.mkdir(parents=True, exist_ok=True)
        callbacks.append(keras.callbacks.ModelCheckpoint(out / "epoch_{epoch:03d}.keras"))
    result = train(
        recipe.build,
        train_xy,
        select_xy,
        config,
        out_dir=out,
        callbacks=callbacks,
        strategy=strategy,
        progress=strategy is None,
        teacher_probabilities=recipe.teacher_probabilities(train_xy[0]),
    )
    as_float32(result.model).save(out / "model.keras")
    summary = {
        "architecture": recipe.architecture,
        "init_from": recipe.init_from,
        "teachers": list(recipe.teachers),
        "n_params": result.n_params,
        "n_train": len(data.train),
        "best_epoch": result.best_epoch,
        "publictest_accuracy": result.best_score,
        "fit_seconds_this_session": result.seconds,
        "epoch_seconds_total": float(result.history["seconds"].sum()),
        "wall_seconds_this_session": time.perf_counter() - start,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    return result


#: Images in the headline's training set: FER-2013 ``Training`` minus the book's exclusions.
HEADLINE_TRAIN_IMAGES = 26_909


def estimate_training_time(
    config: TrainConfig = HEADLINE_CONFIG, *, n_images: int = 1536, repeats: int = 3
) -> dict:
    """How long :func:`train_headline` will take on this machine, from a few timed epochs.

    Times training epochs of the headline architecture on ``n_images`` random inputs with
    :func:`emostudy.training.time_training_epoch` (after a warm-up epoch; median of ``repeats``),
    scales them to :data:`HEADLINE_TRAIN_IMAGES` and ``config.epochs``. The estimate leaves out
    the augmentation pipeline and the per-epoch ``PublicTest`` pass (not timed). On
    a shared machine whole epochs can run markedly slower for a while; raise ``repeats`` to see it.

    It times the precision training will use (:func:`emostudy.training.train` falls back from
    ``mixed_bfloat16`` to float32 on a CPU without bfloat16 units), never an emulated one.

    Returns ``seconds_per_epoch``, ``epochs``, ``minutes`` (the whole run), ``precision`` (the one
    timed and trained), ``requested_precision`` (``config.precision``), ``bfloat16``
    (:func:`emostudy.hardware.bfloat16_support`) and ``cpu``
    (:func:`emostudy.hardware.cpu_description`).
    """
    from emostudy.hardware import bfloat16_support, usable_precision
    from emostudy.models.builders import build_model
    from emostudy.training.timing import time_training_epoch

    precision = usable_precision(config.precision)
    timed = time_training_epoch(
        lambda: build_model(HEADLINE_ARCHITECTURE),
        n_images,
        batch_size=config.batch_size,
        precision=precision,
        repeats=repeats,
        scale_to=HEADLINE_TRAIN_IMAGES,
    )
    seconds = float(timed["seconds_per_epoch"])
    return {
        "seconds_per_epoch": seconds,
        "epochs": int(config.epochs),
        "minutes": seconds * config.epochs / 60,
        "precision": precision,
        "requested_precision": config.precision,
        "bfloat16": bfloat16_support(),
        "cpu": timed["cpu"],
    }


def package_headline(
    run_dir: str | os.PathLike,
    name: str = "fer2013_vgg_lite",
    *,
    recipe: Recipe = HEADLINE,
    results_dir: str | os.PathLike | None = None,
) -> dict:
    """Copy a finished run into the package and write its facts and model card.

    Writes ``emostudy/models/weights/<name>.keras`` (float32), ``<name>.log.csv`` (the training
    log), ``<name>.json`` (recipe, data, timings and metrics on PublicTest and, once, PrivateTest,
    single pass and with flip and ten-crop test-time averaging) and ``<name>.md`` (the model
    card, rendered from the JSON). Each PrivateTest evaluation is appended to the PrivateTest
    ledger in ``results_dir`` (the book's ``book/results`` by default). Returns the JSON's
    content.
    """
    import dataclasses
    import shutil

    keras = import_keras()

    from emostudy.book.results import record_privatetest
    from emostudy.data.protocol import load_fer2013_protocol
    from emostudy.evaluation.classification import evaluate
    from emostudy.models.inputs import predict_logits_by_tta, to_model_input
    from emostudy.models.logs import read_training_log
    from emostudy.models.pretrained import weights_dir
    from emostudy.training.precision import as_float32

    run = Path(run_dir)
    target = weights_dir()
    results_dir = Path(results_dir or Path(__file__).parents[2] / "book" / "results")
    import emostudy.models.layers  # noqa: F401  (registers the custom layers for loading)

    model = as_float32(keras.models.load_model(run / "best.keras", compile=False))
    model.save(target / f"{name}.keras")
    shutil.copyfile(run / "log.csv", target / f"{name}.log.csv")
    log = read_training_log(run / "log.csv")
    data = load_fer2013_protocol(progress=False)
    classes = list(data.report.classes)
    metrics = {}
    for split, faces in {"PublicTest": data.select, "PrivateTest": data.report}.items():
        logits = predict_logits_by_tta(model, to_model_input(faces.images))
        for tta, by_tta in logits.items():
            predicted = by_tta.argmax(axis=1)
            key = f"{split}{'' if tta is None else '_' + tta + '_tta'}"
            metrics[key] = evaluate(faces.labels, predicted, classes, seed=0)
            if split == "PrivateTest":
                record_privatetest(
                    results_dir,
                    model=name,
                    recipe=f"{recipe.description}; test-time averaging: {tta or 'none'}",
                    accuracy=metrics[key]["accuracy"],
                    n_images=len(faces),
                    why="model card of the shipped model, once after training and selection",
                    source="emostudy headline package",
                )
    lineage = model_lineage(recipe.init_from)
    init_epochs = lineage[-1][1] if lineage else 0
    facts = {
        "name": name,
        "architecture": recipe.architecture,
        "n_params": int(model.count_params()),
        "file_megabytes": round((target / f"{name}.keras").stat().st_size / 1e6, 2),
        "classes": classes,
        "input": "48x48 grayscale face, uint8 0..255 scaled to [0, 1] (to_model_input)",
        "data": {
            "train": f"FER-2013 Training minus training_exclusions ({len(data.train):,} images)",
            "select": f"FER-2013 PublicTest ({len(data.select):,} images): epoch selection",
            "report": f"FER-2013 PrivateTest ({len(data.report):,} images): evaluated once",
        },
        "recipe": dataclasses.asdict(recipe.config),
        "description": recipe.description,
        "init_from": recipe.init_from,
        "init_epochs": init_epochs,
        "lineage": lineage,
        "teachers": list(recipe.teachers),
        "teacher_temperature": recipe.teacher_temperature,
        "epochs_run": int(len(log)),
        "best_epoch": int(log["val_accuracy"].idxmax()),
        "training_seconds": float(log["seconds"].sum()),
        "median_epoch_seconds": float(log["seconds"].median()),
        "metrics": metrics,
    }
    (target / f"{name}.json").write_text(json.dumps(facts, indent=1, default=str))
    (target / f"{name}.md").write_text(render_model_card(facts))
    return facts


def describe_architecture(architecture: str) -> str:
    """One line on a CNN of :data:`~emostudy.models.ARCHITECTURES`, from its settings."""
    from emostudy.models.builders import ARCHITECTURES

    settings = ARCHITECTURES[architecture][1]
    filters = settings["filters"]
    parts = [
        f"{len(filters)} VGG blocks of {settings.get('convs_per_block', 1)} 3x3 convolutions "
        f"with {'-'.join(map(str, filters))} filters"
    ]
    if settings.get("batch_norm"):
        fused = " (fused kernel)" if settings.get("fused_norm") else ""
        parts.append(f"batch normalisation{fused}")
    if settings.get("input_crop"):
        parts.insert(
            0,
            f"random {settings['input_crop']}-px crops of the face in training "
            "(the centre crop at inference)",
        )
    parts.append("global average pooling" if settings.get("global_pool") else "a dense head")
    if settings.get("dropout"):
        parts.append(f"dropout {settings['dropout']}")
    return ", ".join(parts) + ", 7 logits"


def model_lineage(init_from: str | None) -> list[list]:
    """``[[name, epochs], ...]`` of the shipped models a warm start descends from, oldest first."""
    from emostudy.models.pretrained import model_card

    chain = []
    while init_from is not None:
        card = model_card(init_from)
        chain.insert(0, [init_from, int(card["epochs_run"])])
        init_from = card.get("init_from")
    return chain


def training_origin(facts: dict) -> str:
    """'from scratch', or the runs a warm-started model continued (and its teachers)."""
    if not facts.get("init_from"):
        return "from scratch"
    lineage = facts.get("lineage") or [[facts["init_from"], facts["init_epochs"]]]
    runs = ", then ".join(f"`{name}` ({epochs} epochs)" for name, epochs in lineage)
    counts = {2: "two", 3: "three", 4: "four"}
    text = f"from scratch in {counts.get(len(lineage) + 1, len(lineage) + 1)} runs: {runs}, then "
    if facts.get("teachers"):
        teachers = " and ".join(f"`{name}`" for name in facts["teachers"])
        return text + (
            f"this run, distilled from the flip-averaged ensemble of {teachers} (its "
            f"probabilities at temperature {facts['teacher_temperature']} make "
            f"{facts['recipe']['distill_weight']:.0%} of each training target)"
        )
    return text + "this warm restart"


def render_model_card(facts: dict) -> str:
    """The model card (Markdown) of a shipped model, from its facts (:func:`package_headline`)."""
    private = facts["metrics"]["PrivateTest"]
    tta = facts["metrics"]["PrivateTest_flip_tta"]
    public = facts["metrics"]["PublicTest"]

    def pct(value: float) -> str:
        return f"{100 * value:.1f}%"

    def interval(result: dict) -> str:
        low, high = result["ci"]["accuracy"]
        return f"{pct(result['accuracy'])} (95% CI {pct(low)}-{pct(high)})"

    rows = "\n".join(
        f"| {c} | {tta['per_class'][c]['support']} | {pct(tta['per_class'][c]['precision'])} | "
        f"{pct(tta['per_class'][c]['recall'])} | {pct(tta['per_class'][c]['f1'])} |"
        for c in facts["classes"]
    )
    ten = facts["metrics"].get("PrivateTest_ten_crop_tta")
    ten_crop_row = (
        f"| ten-crop test-time averaging (10 passes) | {interval(ten)} | "
        f"{pct(ten['balanced_accuracy'])} | {pct(ten['macro_f1'])} |\n"
        if ten
        else ""
    )
    config = facts["recipe"]
    weakest = sorted(facts["classes"], key=lambda c: tta["per_class"][c]["recall"])[:2]
    return f"""# Model card: `{facts["name"]}`

A headline model of chapter 9, loaded by `emostudy.models.load_emotion_model("{facts["name"]}")`
(the package's default is `emostudy.models.DEFAULT_EMOTION_MODEL`). Generated by
`emostudy headline package`; the numbers come from `{facts["name"]}.json` beside
this file.

## Model
- Architecture: `{facts["architecture"]}` ({describe_architecture(facts["architecture"])});
  {facts["n_params"]:,} parameters;
  {facts["file_megabytes"]} MB (Keras format, float32).
- Input: {facts["input"]}. Output: logits over {", ".join(facts["classes"])}.
- Training: {training_origin(facts)}, {facts["epochs_run"]} epochs (best epoch
  {facts["best_epoch"]} on PublicTest), batch {config["batch_size"]}, {config["optimizer"]}
  (learning rate {config["learning_rate"]}, weight decay {config["weight_decay"]}),
  {config["schedule"]} schedule with {config["warmup_epochs"]} warm-up epochs,
  label smoothing {config["label_smoothing"]}, augmentation {config["augment"]},
  `{config["precision"]}` compute, seed {config["seed"]}.
  {facts["training_seconds"] / 60:.0f} min of training on a 2-core CPU (median
  {facts["median_epoch_seconds"]:.0f} s per epoch).

## Data and protocol
- Train: {facts["data"]["train"]}.
- Select: {facts["data"]["select"]}.
- Report: {facts["data"]["report"]}.

## Metrics on PrivateTest ({private["n"]:,} images)
| setting | accuracy | balanced accuracy | macro-F1 |
|---|---|---|---|
| single pass | {interval(private)} | {pct(private["balanced_accuracy"])} | \
{pct(private["macro_f1"])} |
| flip test-time augmentation (default in `predict_emotions`) | {interval(tta)} | \
{pct(tta["balanced_accuracy"])} | {pct(tta["macro_f1"])} |
{ten_crop_row}
PublicTest (used for epoch selection, so optimistic): {pct(public["accuracy"])}.

Per class, PrivateTest with flip test-time augmentation:

| class | images | precision | recall | F1 |
|---|---|---|---|---|
{rows}

## Known limitations and biases
- FER-2013 faces were found by web image search and labelled once by crowd workers; many labels
  are wrong or debatable (human accuracy is estimated at about 65%), and the data carries no
  demographic labels, so the model's accuracy across age, gender and skin tone is **unmeasured**.
- The classes recognised worst are *{weakest[0]}* and *{weakest[1]}* (lowest recall above);
  posed, frontal, well-lit faces work best. The input must be a tight 48x48 grayscale face
  crop like FER-2013's.
- A facial expression is not an emotion: the model labels appearance, not inner state. Do not use
  it for decisions about people (hiring, policing, health, education).
"""


def describe_estimate(estimate: dict) -> str:
    """A few short lines (each under 100 characters) on an :func:`estimate_training_time`
    result, for the command line and a chapter's output."""
    requested = estimate.get("requested_precision", estimate["precision"])
    fallback = ""
    if requested != estimate["precision"]:
        fallback = (
            f"\nThe recipe asks for {requested}, which this CPU would only emulate:\n"
            f"training and this estimate use {estimate['precision']}."
        )
    return (
        f"bfloat16 on this CPU: {estimate['bfloat16']}.\n"
        f"One training epoch of {HEADLINE_TRAIN_IMAGES:,} images ({estimate['precision']}): "
        f"about {estimate['seconds_per_epoch']:.0f} s.\n"
        f"{estimate['epochs']} epochs take about {estimate['minutes']:.0f} min, plus a few "
        "seconds per epoch for augmentation and validation." + fallback
    )


def like_for_like_estimates(estimates: dict[str, dict | None]) -> list[dict]:
    """Pairs of :func:`estimate_training_time` results that measured the same thing.

    Two estimates of the headline recipe are comparable only when they timed the same precision
    on processors with the same bfloat16 support; otherwise they differ first because the
    precision or the processor does. This returns every comparable pair, so that what is left
    between them (the machine's load, another host of the same kind) can be read off.

    Parameters
    ----------
    estimates
        ``{label: estimate}``; each estimate has at least ``seconds_per_epoch``, ``precision``
        and ``bfloat16`` (entries that are None are skipped, e.g. a run that does not exist).

    Returns
    -------
    list of dict
        One dict per comparable pair, in the order of ``estimates``: ``slower`` and ``faster``
        (labels), ``slower_seconds`` and ``faster_seconds`` (seconds per epoch), ``ratio``
        (slower over faster, >= 1), ``precision`` and ``bfloat16``.
    """
    from itertools import combinations

    present = [(label, e) for label, e in estimates.items() if e is not None]
    pairs = []
    for (label_a, a), (label_b, b) in combinations(present, 2):
        if a["precision"] != b["precision"] or a["bfloat16"] != b["bfloat16"]:
            continue
        (slow, s), (fast, f) = sorted(
            [(label_a, a), (label_b, b)], key=lambda item: -float(item[1]["seconds_per_epoch"])
        )
        pairs.append(
            {
                "slower": slow,
                "faster": fast,
                "slower_seconds": float(s["seconds_per_epoch"]),
                "faster_seconds": float(f["seconds_per_epoch"]),
                "ratio": float(s["seconds_per_epoch"]) / float(f["seconds_per_epoch"]),
                "precision": a["precision"],
                "bfloat16": a["bfloat16"],
            }
        )
    return pairs
