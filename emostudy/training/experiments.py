"""Running named training variants on the same data and tabulating them.

The experiment loop of the training chapters: a dict of named :class:`Variant` (a model builder, a
:class:`~emostudy.training.TrainConfig` and optionally how many training images to use), trained one
after the other with :func:`emostudy.training.train` on the same training and validation data,
comes back as one tidy table::

    order = stratified_prefix_order(y_train, seed=0)  # every prefix is a stratified sample
    x_train, y_train = x_train[order], y_train[order]
    runs = run_variants(
        {"baseline": Variant(build, TrainConfig(epochs=20)),
         "dropout": Variant(build_with_dropout, TrainConfig(epochs=20))},
        (x_train, y_train), (x_val, y_val))
    runs.table  # one row per variant: train/val accuracy, gap, best epoch, seconds per epoch...

Training accuracy is measured twice, both with the model in inference mode (no dropout, no
augmentation, batch normalisation with its moving statistics), so that it is comparable with the
validation accuracy: after every epoch on a fixed sample of the training images (history column
``train_eval_accuracy``), and at the end on all of them with the kept (best-epoch) weights.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from emostudy.errors import InvalidInputError
from emostudy.evaluation.classification import bootstrap_ci, mcnemar
from emostudy.models.inputs import predict_logits
from emostudy.training.config import TrainConfig, TrainResult
from emostudy.training.loop import train

#: History column written by :class:`~emostudy.training.EpochMetrics`: training-sample accuracy.
TRAIN_EVAL_COLUMN = "train_eval_accuracy"
#: History column written by :class:`~emostudy.training.EpochMetrics`: validation cross-entropy.
VAL_CROSSENTROPY_COLUMN = "val_crossentropy"


#: Columns of :attr:`Experiment.table`, in order.
TABLE_COLUMNS = (
    "variant",
    "n_train",
    "n_params",
    "epochs",
    "best_epoch",
    "train_accuracy",
    "val_accuracy",
    "val_ci_low",
    "val_ci_high",
    "gap",
    "seconds_per_epoch",
    "seconds",
)


@dataclass(frozen=True)
class Variant:
    """One training run: ``build()`` makes the uncompiled logits model, ``config`` trains it.

    ``n_train``: use only the first ``n_train`` training examples (None: all of them).
    """

    build: Callable[[], Any]
    config: TrainConfig = field(default_factory=TrainConfig)
    n_train: int | None = None


@dataclass
class Experiment:
    """What :func:`run_variants` produced.

    ``table`` has one row per variant (columns :data:`TABLE_COLUMNS`, indexed by variant name);
    ``runs`` maps each name to its :class:`~emostudy.training.TrainResult` (model with the best
    epoch's weights, per-epoch history); ``val_predictions`` to its predicted validation labels.
    """

    table: pd.DataFrame
    runs: dict[str, TrainResult]
    val_predictions: dict[str, np.ndarray]

    @property
    def histories(self) -> dict[str, pd.DataFrame]:
        """Per-epoch history of every variant, by name."""
        return {name: run.history for name, run in self.runs.items()}


def stratified_prefix_order(labels: np.ndarray, seed: int = 0) -> np.ndarray:
    """A seeded permutation of ``range(len(labels))`` whose every prefix is a stratified sample.

    Each class is shuffled, and its ``i``-th example (0-based) of ``n_k`` is placed at the
    fractional position ``(i + u) / n_k`` (``u`` a seeded uniform offset per class); sorting all
    examples by position interleaves the classes in proportion. So the first ``n`` indices hold
    ``n * n_k / N`` examples of class ``k`` to within one, and the subsets are nested: the first
    500 are part of the first 1,000. Learning curves and "more data" comparisons use such prefixes.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise InvalidInputError(f"labels must be 1-D, got shape {labels.shape}.")
    rng = np.random.default_rng(seed)
    position = np.empty(len(labels))
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        position[members] = (np.arange(len(members)) + rng.random()) / len(members)
    # Ties (equal positions in different classes) are broken by a seeded random key.
    return np.lexsort((rng.random(len(labels)), position)).astype(np.int64)


def accuracy_of(model, x: np.ndarray, y: np.ndarray, *, batch_size: int = 512) -> float:
    """Accuracy of ``model`` (logits output) on ``(x, y)`` in inference mode."""
    return float(np.mean(predict_logits(model, x, batch_size=batch_size).argmax(axis=1) == y))


def run_variants(
    variants: Mapping[str, Variant],
    train_data: tuple[np.ndarray, np.ndarray],
    val_data: tuple[np.ndarray, np.ndarray],
    *,
    train_eval_size: int | None = 2000,
    val_crossentropy: bool = False,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    log: Callable[[str], None] | None = print,
    out_dir: str | os.PathLike | None = None,
) -> Experiment:
    """Train each variant on ``train_data`` (or its first ``n_train`` examples), select on val.

    Parameters
    ----------
    variants
        Named variants, trained in order.
    train_data, val_data
        ``(x, y)``: float32 inputs (:func:`emostudy.models.inputs.to_model_input`) and integer
        labels. Order ``train_data`` with :func:`stratified_prefix_order` when variants use
        ``n_train``, so that each prefix is a stratified sample.
    train_eval_size
        Training accuracy in inference mode is logged after every epoch on the first
        ``train_eval_size`` training examples of the run (None: all; 0: not logged).
    val_crossentropy
        Also log the validation cross-entropy without penalty terms after every epoch (history
        column ``val_crossentropy``; costs one more pass over ``val_data`` per epoch).
    n_boot, confidence, seed
        Percentile-bootstrap interval of the validation accuracy
        (:func:`emostudy.evaluation.bootstrap_ci`).
    log
        Called with a one-line summary per variant (None: silent).
    out_dir
        If given, each variant trains into its own folder ``out_dir/<name>`` (the name with
        anything but letters, digits, ``.``, ``-`` and ``_`` replaced by ``_``), with the
        checkpoint, CSV log and resume backup of :func:`emostudy.training.train`: an interrupted
        experiment started again resumes, and variants that finished are loaded, not retrained.

    Returns
    -------
    Experiment
        ``table`` columns: ``n_train``, ``n_params``, ``epochs`` (run; fewer than
        configured after an early stop), ``best_epoch`` (1-based, whose weights are kept),
        ``train_accuracy`` and ``val_accuracy`` of the kept weights (inference mode), the
        validation accuracy's interval ``val_ci_low``/``val_ci_high``, ``gap`` = train - val
        accuracy, ``seconds_per_epoch`` (median) and ``seconds`` (whole fit; for a run loaded
        from ``out_dir``, the sum of its logged epoch times).
    """
    from emostudy.training.callbacks import EpochMetrics

    x_train, y_train = train_data
    x_val, y_val = val_data
    y_train, y_val = np.asarray(y_train), np.asarray(y_val)
    if not variants:
        raise InvalidInputError("run_variants needs at least one variant.")
    folders = {name: _folder_name(name) for name in variants}
    clashes = sorted(n for n, f in folders.items() if list(folders.values()).count(f) > 1)
    if out_dir is not None and clashes:
        raise InvalidInputError(
            f"variants {clashes} would share one folder under out_dir; rename them so that "
            "they differ in letters, digits, '.', '-' or '_'."
        )
    rows, runs, predictions = [], {}, {}
    for name, variant in variants.items():
        if not isinstance(variant, Variant):
            raise InvalidInputError(
                f"variant {name!r} must be an emostudy.training.Variant, got "
                f"{type(variant).__name__}."
            )
        n = len(x_train) if variant.n_train is None else int(variant.n_train)
        if not 1 <= n <= len(x_train):
            raise InvalidInputError(
                f"variant {name!r}: n_train={variant.n_train} but there are only "
                f"{len(x_train)} training examples."
            )
        xs, ys = x_train[:n], y_train[:n]
        k = n if train_eval_size is None else min(n, train_eval_size)
        sample = (xs[:k], ys[:k]) if k > 0 else None
        callbacks = []
        if sample is not None or val_crossentropy:
            callbacks.append(EpochMetrics(sample, (x_val, y_val) if val_crossentropy else None))
        start = time.perf_counter()
        run = train(
            variant.build,
            (xs, ys),
            (x_val, y_val),
            variant.config,
            progress=False,
            callbacks=callbacks,
            out_dir=None if out_dir is None else Path(out_dir) / folders[name],
        )
        predicted = predict_logits(run.model, x_val).argmax(axis=1)
        val_accuracy = float(np.mean(predicted == y_val))
        train_accuracy = accuracy_of(run.model, xs, ys)
        low, high = bootstrap_ci(
            y_val, predicted, "accuracy", n_boot=n_boot, confidence=confidence, seed=seed
        )
        rows.append(
            {
                "variant": name,
                "n_train": n,
                "n_params": run.n_params,
                "epochs": len(run.history),
                "best_epoch": run.best_epoch,
                "train_accuracy": train_accuracy,
                "val_accuracy": val_accuracy,
                "val_ci_low": low,
                "val_ci_high": high,
                "gap": train_accuracy - val_accuracy,
                "seconds_per_epoch": run.seconds_per_epoch,
                # a run loaded from out_dir trained nothing now: its logged epoch times instead
                "seconds": run.seconds or float(run.history["seconds"].sum()),
            }
        )
        runs[name], predictions[name] = run, predicted
        if log is not None:
            log(  # one line that fits a page (under 100 characters for names up to 20)
                f"{name}: n={n:,}, {len(run.history)} epochs (best {run.best_epoch}), "
                f"train {train_accuracy:.3f}, val {val_accuracy:.3f}, "
                f"{run.seconds_per_epoch:.0f} s/epoch, {time.perf_counter() - start:.0f} s"
            )
    table = pd.DataFrame(rows, columns=list(TABLE_COLUMNS)).set_index("variant")
    return Experiment(table=table, runs=runs, val_predictions=predictions)


def _folder_name(name: str) -> str:
    """``name`` with every run of characters other than ``[A-Za-z0-9._-]`` replaced by ``_``."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "_"


def paired_tests(
    y_true: np.ndarray, predictions: Mapping[str, np.ndarray], reference: str
) -> pd.DataFrame:
    """Each prediction set against ``reference`` on the same examples, with McNemar's test.

    ``predictions`` maps names to predicted labels (e.g. :attr:`Experiment.val_predictions`).
    One row per name other than ``reference``, in order, with ``accuracy``, ``change`` (its
    accuracy minus the reference's, as a fraction), ``b`` (reference right, this one wrong),
    ``c`` (reference wrong, this one right) and ``p_value``
    (:func:`emostudy.evaluation.mcnemar`).
    """
    if reference not in predictions:
        raise InvalidInputError(
            f"reference {reference!r} is not among the predictions {sorted(predictions)}."
        )
    y_true = np.asarray(y_true)
    for name, predicted in predictions.items():
        if np.shape(predicted) != y_true.shape:
            raise InvalidInputError(
                f"predictions {name!r} have shape {np.shape(predicted)}, but y_true has "
                f"{y_true.shape}: score every run on the same examples."
            )
    base = float(np.mean(np.asarray(predictions[reference]) == y_true))
    rows = {}
    for name, predicted in predictions.items():
        if name == reference:
            continue
        test = mcnemar(y_true, predictions[reference], predicted)
        accuracy = float(np.mean(np.asarray(predicted) == y_true))
        rows[name] = {
            "accuracy": accuracy,
            "change": accuracy - base,
            "b": test["b"],
            "c": test["c"],
            "p_value": test["p_value"],
        }
    columns = ["accuracy", "change", "b", "c", "p_value"]
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns)


def paired_test_verdicts(tests: pd.DataFrame, *, confidence: float = 0.95) -> pd.Series:
    """The verdict on each row of :func:`paired_tests`: ``"better"``, ``"worse"`` or
    ``"no detectable difference"``.

    A row whose ``p_value`` is at least ``1 - confidence`` (the test's significance level) has no
    detectable difference; otherwise the sign of ``change`` decides.
    """
    if not 0 < confidence < 1:
        raise InvalidInputError(f"confidence must be between 0 and 1, got {confidence}.")
    alpha = 1.0 - confidence
    verdicts = np.where(
        tests["p_value"] >= alpha,
        "no detectable difference",
        np.where(tests["change"] < 0, "worse", "better"),
    )
    return pd.Series(verdicts, index=tests.index, name="verdict")


def describe_paired_tests(tests: pd.DataFrame, *, confidence: float = 0.95) -> str:
    """One sentence per row of :func:`paired_tests`, joined by ``"; "``.

    Each names the row's verdict (:func:`paired_test_verdicts`), its change in percentage points
    and its p-value.
    """
    verdicts = paired_test_verdicts(tests, confidence=confidence)
    parts = []
    for name, row in tests.iterrows():
        change, p_value = row["change"], row["p_value"]
        p_text = (
            f"{p_value:.2f}" if verdicts[name] == "no detectable difference" else f"{p_value:.2g}"
        )
        parts.append(f"{name}: {verdicts[name]} ({change:+.1%}, p = {p_text})")
    return "; ".join(parts)


def changes_between_runs(
    previous: pd.DataFrame | Sequence[Mapping[str, Any]],
    current: pd.DataFrame,
    *,
    column: str = "val_accuracy",
) -> pd.DataFrame:
    """One figure of each variant in two runs of the same experiment, side by side.

    Used to state how far a chapter's numbers move when it is re-run: compare this run's
    :attr:`Experiment.table` with the table a previous run published.

    Parameters
    ----------
    previous
        The earlier run's table: an :attr:`Experiment.table` (indexed by variant), or its records
        as saved in a result table (dicts with a ``"variant"`` key).
    current
        This run's :attr:`Experiment.table`.
    column
        The figure to compare (a column of both tables, e.g. ``"val_accuracy"``, a fraction).

    Returns
    -------
    pandas.DataFrame
        Indexed by the variants in both runs (in ``current``'s order), with columns
        ``previous``, ``current`` and ``change`` (current - previous).
    """
    if not isinstance(previous, pd.DataFrame):
        previous = pd.DataFrame(list(previous))
        if "variant" not in previous.columns:
            raise InvalidInputError(
                "previous must be an Experiment.table or records with a 'variant' key."
            )
        previous = previous.set_index("variant")
    for name, table in (("previous", previous), ("current", current)):
        if column not in table.columns:
            raise InvalidInputError(
                f"the {name} table has no column {column!r}; it has {list(table.columns)}."
            )
    shared = [name for name in current.index if name in previous.index]
    if not shared:
        raise InvalidInputError(
            f"the two runs share no variant: previous {list(previous.index)}, "
            f"current {list(current.index)}."
        )
    both = pd.DataFrame(
        {
            "previous": previous.loc[shared, column].astype(float),
            "current": current.loc[shared, column].astype(float),
        }
    )
    both["change"] = both["current"] - both["previous"]
    return both


def describe_changes_between_runs(
    changes: pd.DataFrame,
    *,
    previous_verdicts: pd.Series | None = None,
    current_verdicts: pd.Series | None = None,
) -> str:
    """How far two runs of the same experiment differ, in a sentence or two.

    Parameters
    ----------
    changes
        :func:`changes_between_runs` (fractions; the text gives percentage points).
    previous_verdicts, current_verdicts
        Optional :func:`paired_test_verdicts` of the two runs; when both are given, the text
        names the variants whose verdict changed, or says that none did.
    """
    if len(changes) == 0:
        raise InvalidInputError("changes is empty: the two runs share no variant.")
    points = 100 * changes["change"].astype(float)
    if (points == 0).all():
        text = f"All {len(points)} figures repeat the earlier run's exactly."
    else:
        largest = points.abs().idxmax()
        text = (
            f"The {len(points)} figures moved by {points.min():+.1f} to {points.max():+.1f} "
            f"points (median absolute move {points.abs().median():.1f}); the largest move is "
            f"{largest}'s ({points[largest]:+.1f})."
        )
    if previous_verdicts is not None and current_verdicts is not None:
        shared = [name for name in current_verdicts.index if name in previous_verdicts.index]
        flipped = [
            f"{name} (from {previous_verdicts[name]} to {current_verdicts[name]})"
            for name in shared
            if previous_verdicts[name] != current_verdicts[name]
        ]
        if flipped:
            text += " The verdict changed for " + "; ".join(flipped) + "."
        else:
            text += f" All {len(shared)} verdicts of the paired tests are the same."
    return text
