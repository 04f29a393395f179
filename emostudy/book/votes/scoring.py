"""Scores of FER+ logits against both label sets (bootstrap intervals, calibration, KL from the
vote shares), the PublicTest candidate table and the choice among candidates (the ``select``
stage).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from emostudy.book.votes.features import INPUT_CUT, feature_cut
from emostudy.book.votes.heads import build_head, cached_votes, flip_logits


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
        for name, metric, target in (
            ("ece", expected_calibration_error, y),
            ("kl", mean_kl_from_shares, shares),
        ):
            result[name] = metric(p, target)
            result[f"{name}_ci"] = _bootstrap(
                lambda i, metric=metric, p=p, t=target: metric(p[i], t[i]),
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


#: Candidate names: targets (``shares``: soft cross-entropy against the vote distribution;
#: ``majority``: one-hot majority label) and number of outputs.
CANDIDATES = ("shares7", "shares8", "shares8w", "majority7", "majority8")


def temperature_targets(votes, k: int):
    """Positions and majority labels of the faces whose FER+ majority is one of the first
    ``k`` classes: what a temperature is fitted on."""
    keep = np.flatnonzero((votes.majority >= 0) & (votes.majority < k))
    return keep, votes.majority[keep]


def candidate_row(name: str, logits: np.ndarray, votes, info: dict | None) -> dict[str, Any]:
    """One line of the PublicTest candidate table (flip-averaged logits of all PublicTest faces):
    scores at T = 1, the temperature fitted on PublicTest's majority, and the scores at that
    temperature (in-sample for PublicTest: optimistic, the PrivateTest figures are the test)."""
    from emostudy.evaluation.calibration import fit_temperature

    k = logits.shape[1]
    raw = score_logits(logits, votes, n_boot=200)
    keep, labels = temperature_targets(votes, k)
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
                "class_balance": info["config"].get("class_balance", 0.0),
                "n_train": info["n_train"],
                "epochs_run": info["epochs_run"],
                "best_epoch": info["best_epoch"],
                "training_seconds": info["training_seconds"],
                "median_epoch_seconds": info["median_epoch_seconds"],
            }
        )
    return row


def candidate_label(name: str, class_balance: float) -> str:
    """A candidate's name in the table; a weighted one names its class-weight exponent
    (``shares8w`` trained with 0.25 reads ``shares8w (a=0.25)``)."""
    return f"{name} (a={class_balance:g})" if class_balance else name


#: A challenger replaces the shipped candidate only when a paired test on PublicTest says it is
#: better (McNemar's p below this) as well as ahead.
REPLACE_BELOW_P = 0.05


def majority7_predictions(logits: np.ndarray, votes) -> tuple[np.ndarray, np.ndarray]:
    """The FER+ majority labels (7 shared classes) and a candidate's predictions over those 7
    outputs, on the faces :func:`score_logits`' ``majority7`` scores."""
    keep = np.flatnonzero((votes.majority >= 0) & (votes.majority < 7))
    return votes.majority[keep], np.asarray(logits)[keep, :7].argmax(axis=1)


def choose_candidate(
    rows: Sequence[dict[str, Any]],
    predictions: dict[str, np.ndarray],
    labels: np.ndarray,
    *,
    incumbent: str | None,
    replace_below_p: float = REPLACE_BELOW_P,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The candidate to ship: the highest ``majority7_accuracy``, unless the shipped one (the
    row whose ``candidate`` is ``incumbent``) cannot be told apart from it.

    Parameters
    ----------
    rows
        Candidate rows (``candidate``, ``majority7_accuracy``).
    predictions
        Each candidate's predicted classes on the same faces, shape ``(N,)``, keyed by name.
    labels
        The true classes of those faces, shape ``(N,)``.
    incumbent
        The shipped candidate's name; None (or a name not among the rows): nothing is shipped
        yet, and the most accurate candidate is chosen.
    replace_below_p
        The best candidate replaces the incumbent only if McNemar's test on these faces gives
        a p-value below this.

    Returns
    -------
    tuple
        The chosen row and the paired test of the best against the incumbent
        (:func:`emostudy.evaluation.mcnemar` plus ``best`` and ``incumbent``; None when there is
        no incumbent or it is the best).
    """
    from emostudy.evaluation import mcnemar

    best = max(rows, key=lambda row: row["majority7_accuracy"])
    shipped = next((row for row in rows if row["candidate"] == incumbent), None)
    if shipped is None or shipped is best:
        return best, None
    test = mcnemar(labels, predictions[best["candidate"]], predictions[incumbent])
    test = {**test, "best": best["candidate"], "incumbent": incumbent}
    return (best if test["p_value"] < replace_below_p else shipped), test


def incumbent_name(rows: Sequence[dict[str, Any]], card: dict[str, Any] | None) -> str | None:
    """The candidate row a shipped model card describes (same targets, classes, class weights
    and fine-tuned blocks), or None."""
    if not card or "recipe" not in card:
        return None
    recipe = card["recipe"]
    for row in rows:
        if (
            row.get("targets") == recipe.get("targets")
            and row.get("outputs") == recipe.get("n_classes")
            and row.get("class_balance", 0.0) == recipe.get("class_balance", 0.0)
            and str(recipe.get("fine_tuned", "")).startswith(f"{row.get('fine_tuned')} (")
        ):
            return row["candidate"]
    return None


def frozen_blocks(model, cut: str) -> int:
    """How many conv blocks of ``model`` end at or before ``cut`` (a max-pooling layer, or
    :data:`~emostudy.book.votes.features.INPUT_CUT`: none)."""
    if cut == INPUT_CUT:
        return 0
    names = [layer.name for layer in model.layers]
    index = names.index(cut)
    return sum(
        1 for layer in model.layers[: index + 1] if layer.__class__.__name__ == "MaxPooling2D"
    )


def blocks_text(model, cut: str) -> tuple[str, str]:
    """("conv blocks 1-3", "conv block 4") for ``cut``: the frozen and the fine-tuned blocks."""
    frozen = frozen_blocks(model, cut)
    total = sum(1 for layer in model.layers if layer.__class__.__name__ == "MaxPooling2D")
    trained = f"conv block {total}" if frozen == total - 1 else f"conv blocks {frozen + 1}-{total}"
    return (f"conv blocks 1-{frozen}" if frozen else "no conv block"), trained


def stage_select(
    work_dir: str | os.PathLike,
    *,
    results_dir: str | os.PathLike,
    base_model: str = "fer2013_vgg_lite_v3",
    candidates: Sequence[str] = CANDIDATES,
    also: Sequence[str | os.PathLike] = (),
    shipped_card: dict[str, Any] | None = None,
    replace_below_p: float = REPLACE_BELOW_P,
) -> dict[str, Any]:
    """The PublicTest candidate table (``<results_dir>/ferplus_training.json``) and the choice
    (:func:`choose_candidate`): the highest flip-averaged PublicTest majority accuracy over the
    7 shared classes, unless the shipped candidate (the one ``shipped_card``, a model card,
    describes; :func:`incumbent_name`) cannot be told apart from it (McNemar p at least
    ``replace_below_p``).

    ``also``: more work folders whose features were cut elsewhere (fewer or more frozen blocks);
    their heads join the table, each row naming the blocks it fine-tuned (``fine_tuned``) and
    its work folder's position (``work``: 0 for ``work_dir``, 1.. for ``also``).
    """
    from emostudy.book.results import save_results
    from emostudy.models import load_emotion_model

    model = load_emotion_model(base_model)
    works = [Path(work_dir), *map(Path, also)]
    votes = cached_votes(works[0], "PublicTest")
    first = np.load(works[0] / "features_PublicTest.npy")
    rows = [
        candidate_row(
            base_model,
            flip_logits(build_head(model, 7, cut=feature_cut(works[0])), first),
            votes,
            None,
        )
    ]
    del first
    rows[0]["targets"] = "FER-2013 labels (shipped, unchanged)"
    settings = []
    predictions: dict[str, np.ndarray] = {}
    labels = np.empty(0, dtype=int)
    for index, work in enumerate(works):
        cut = feature_cut(work)
        frozen, trained = blocks_text(model, cut)
        features = json.loads((work / "features.json").read_text())
        settings.append(
            {
                "work": index,
                "frozen": f"{base_model} up to {cut} ({frozen})"
                if frozen_blocks(model, cut)
                else "nothing",
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
                logits = np.load(path)
                row = candidate_row(name, logits, votes, info)
                label = candidate_label(name, row["class_balance"])
                row["candidate"] = f"{label}, {trained}" if len(works) > 1 else label
                row["head"], row["work"], row["fine_tuned"] = name, index, trained
                labels, predictions[row["candidate"]] = majority7_predictions(logits, votes)
                rows.append(row)
    trained_rows = [row for row in rows if "head" in row]
    incumbent = incumbent_name(trained_rows, shipped_card)
    chosen, challenge = choose_candidate(
        trained_rows, predictions, labels, incumbent=incumbent, replace_below_p=replace_below_p
    )
    results = {
        "about": (
            f"Candidates trained on the FER+ votes from {base_model}: the conv blocks after a "
            "cut (the last, the last two, or all of them) and a new head, fine-tuned on cached "
            "activations of the frozen blocks before the cut (face windows if none is frozen); "
            "scored on PublicTest (flip-averaged, 2 passes). Accuracy over the 7 shared "
            "classes on the faces whose majority is one of them; FER-2013-label accuracy on all "
            "PublicTest faces; ECE with 15 bins against the majority; KL in nats from the vote "
            "shares (eps 1e-7). The temperature is fitted on PublicTest's majority (so the "
            "scores at that temperature are in-sample)."
        ),
        "selection": (
            "highest PublicTest majority accuracy (7 shared classes); a shipped candidate is "
            "kept unless the best beats it in McNemar's paired test on the same faces "
            f"(p < {replace_below_p:g})"
        ),
        "replace_below_p": replace_below_p,
        "incumbent": incumbent,
        "challenge": challenge,
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
