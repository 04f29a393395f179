"""How much do labellers agree? FER-2013's single label against FER+'s ten crowd votes.

Every function takes a table of vote **counts**, ``(N, K)`` non-negative integers, one row per
image and one column per answer an annotator could give. For FER+
(:func:`emostudy.data.load_ferplus`) ``K = 10`` and the columns are
:data:`~emostudy.data.VOTE_COLUMNS`: FER-2013's 7 classes in their order, ``contempt`` (index 7),
``unknown`` (8) and ``not_face`` (9). Labels are column indices: FER-2013's label ``y`` (0..6)
names column ``y``.

Majority and ties
-----------------
:func:`majority_vote` takes the column with the most votes; a tie goes to the tied column that comes
first in a *priority* order, by default FER+'s own column order (``neutral, happiness, surprise,
sadness, anger, disgust, fear, contempt, unknown, NF``), the rule of
:func:`~emostudy.data.load_ferplus`. Rows without a vote get :data:`NO_MAJORITY`.

The typical annotator
---------------------
One annotator drawn at random from an image's ``n`` annotators votes for column ``k`` with
probability ``counts[k] / n``. Its **expected agreement** with a reference label ``r`` is
``counts[r] / n`` (:func:`annotator_agreement`); averaged over images it is the accuracy of "one
typical human" against that label set: a yardstick for models scored on the same labels. Against
the majority, the annotator must not count in its own majority (that flatters it): the
**leave-one-out** version (:func:`leave_one_out_agreement`) compares each vote with the majority of
the *other* ``n - 1`` votes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import entropy as _scipy_entropy
from sklearn.metrics import confusion_matrix as _sklearn_confusion

from emostudy.data.ferplus import FERPLUS_NAMES, FERPLUS_ORDER, VOTE_COLUMNS
from emostudy.errors import InvalidInputError

#: Majority of a row without votes.
NO_MAJORITY = -1
#: Tie priority of FER+ (its column order), as indices into :data:`~emostudy.data.VOTE_COLUMNS`.
FERPLUS_TIE_PRIORITY: tuple[int, ...] = tuple(
    VOTE_COLUMNS.index({v: k for k, v in FERPLUS_NAMES.items()}[name]) for name in FERPLUS_ORDER
)
_RANKS = ("entropy", "majority_share")


def _check_counts(counts: np.ndarray | Sequence[Sequence[int]]) -> np.ndarray:
    counts = np.asarray(counts)
    if counts.ndim != 2 or counts.shape[1] < 1:
        raise InvalidInputError(
            f"The 'counts' parameter must be a 2-D (N, K) table of votes, got shape {counts.shape}."
        )
    if counts.dtype.kind not in "iu" and not (
        counts.dtype.kind == "f" and np.all(np.isfinite(counts)) and np.all(counts % 1 == 0)
    ):
        raise InvalidInputError(
            f"The 'counts' parameter must hold whole numbers of votes, got dtype {counts.dtype}."
        )
    counts = counts.astype(np.int64)
    if (counts < 0).any():
        raise InvalidInputError("The 'counts' parameter must not hold negative votes.")
    return counts


def _check_labels(name: str, labels: np.ndarray | Sequence[int], n: int, k: int) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.shape != (n,) or labels.dtype.kind not in "iu":
        raise InvalidInputError(
            f"The '{name}' parameter must be {n} integer labels, got shape {labels.shape} "
            f"and dtype {labels.dtype}."
        )
    if len(labels) and (labels.min() < NO_MAJORITY or labels.max() >= k):
        raise InvalidInputError(
            f"The '{name}' parameter must hold column indices 0..{k - 1} (or {NO_MAJORITY}), got "
            f"values from {labels.min()} to {labels.max()}."
        )
    return labels.astype(np.int64)


def _priority(priority: Sequence[int] | None, k: int) -> np.ndarray:
    if priority is None:
        if k != len(VOTE_COLUMNS):
            raise InvalidInputError(
                f"Without a priority, counts must have the {len(VOTE_COLUMNS)} FER+ vote columns "
                f"(VOTE_COLUMNS), got {k}; pass priority= (a tie order of the {k} columns)."
            )
        priority = FERPLUS_TIE_PRIORITY
    order = np.asarray(priority, dtype=np.int64)
    if sorted(order.tolist()) != list(range(k)):
        raise InvalidInputError(
            f"The 'priority' parameter must order the {k} columns 0..{k - 1} once each, got "
            f"{list(priority)}."
        )
    return order


def majority_vote(
    counts: np.ndarray | Sequence[Sequence[int]], *, priority: Sequence[int] | None = None
) -> np.ndarray:
    """The column with the most votes in each row; ties to the earliest column of ``priority``.

    Parameters
    ----------
    counts
        ``(N, K)`` vote counts.
    priority
        The tie order: all ``K`` column indices, the first winning a tie. Default
        :data:`FERPLUS_TIE_PRIORITY` (needs the 10 :data:`~emostudy.data.VOTE_COLUMNS`), the rule
        of :func:`~emostudy.data.load_ferplus`.

    Returns
    -------
    numpy.ndarray
        ``(N,)`` int64 column indices; :data:`NO_MAJORITY` for a row without votes.
    """
    counts = _check_counts(counts)
    order = _priority(priority, counts.shape[1])
    winner = order[np.argmax(counts[:, order], axis=1)] if len(counts) else order[:0]
    return np.where(counts.sum(axis=1) > 0, winner, NO_MAJORITY).astype(np.int64)


def label_agreement(
    labels: np.ndarray | Sequence[int],
    majority: np.ndarray | Sequence[int],
    *,
    row_classes: Sequence[str],
    column_classes: Sequence[str] = VOTE_COLUMNS,
) -> pd.DataFrame:
    """Images per (single label, majority) pair: an agreement matrix, from scikit-learn.

    Parameters
    ----------
    labels
        ``(N,)`` the single label of each image (FER-2013's), indices into ``row_classes``.
    majority
        ``(N,)`` the majority vote of each image, indices into ``column_classes``; images with
        :data:`NO_MAJORITY` are left out.
    row_classes, column_classes
        Class names of the rows and the columns; the first classes of both must be the same
        classes in the same order (FER-2013's 7, then FER+'s extra answers ``contempt``,
        ``unknown`` and ``not_face`` as columns only), so that the diagonal counts agreement.

    Returns
    -------
    pandas.DataFrame
        ``(len(row_classes), len(column_classes))`` int64 counts, index ``row_classes`` (named
        ``"single label"``), columns ``column_classes`` (named ``"majority"``); computed with
        :func:`sklearn.metrics.confusion_matrix` over the union of both class lists.
    """
    rows, columns = tuple(row_classes), tuple(column_classes)
    shared = min(len(rows), len(columns))
    if rows[:shared] != columns[:shared]:
        raise InvalidInputError(
            "The first classes of 'row_classes' and 'column_classes' must agree, got "
            f"{list(rows)} and {list(columns)}."
        )
    labels = np.asarray(labels)
    majority = _check_labels("majority", majority, len(labels), len(columns))
    labels = _check_labels("labels", labels, len(labels), len(rows))
    keep = (majority != NO_MAJORITY) & (labels != NO_MAJORITY)
    size = max(len(rows), len(columns))
    matrix = _sklearn_confusion(labels[keep], majority[keep], labels=np.arange(size))
    return pd.DataFrame(
        matrix[: len(rows), : len(columns)].astype(np.int64),
        index=pd.Index(rows, name="single label"),
        columns=pd.Index(columns, name="majority"),
    )


def vote_entropy(counts: np.ndarray | Sequence[Sequence[int]], *, base: float = 2.0) -> np.ndarray:
    """Entropy of each image's vote shares (how split its annotators are), by scipy.

    Parameters
    ----------
    counts
        ``(N, K)`` vote counts (pass the emotion columns only to ignore ``unknown``/``NF``).
    base
        Logarithm base: 2 gives bits (0 when all agree, ``log2(K)`` at most).

    Returns
    -------
    numpy.ndarray
        ``(N,)`` float64 entropies of ``counts / counts.sum(1)``
        (:func:`scipy.stats.entropy`); NaN for a row without votes.
    """
    counts = _check_counts(counts)
    total = counts.sum(axis=1)
    out = np.full(len(counts), np.nan)
    voted = total > 0
    if voted.any():
        out[voted] = _scipy_entropy(counts[voted].astype(np.float64), base=base, axis=1)
    return out


def entropy_by_class(
    entropy: np.ndarray | Sequence[float],
    groups: np.ndarray | Sequence[int],
    *,
    classes: Sequence[str],
) -> pd.DataFrame:
    """Mean and median entropy of the images of each class (a class's share of disagreement).

    Parameters
    ----------
    entropy
        ``(N,)`` per-image entropies (:func:`vote_entropy`).
    groups
        ``(N,)`` the class of each image (indices into ``classes``: the majority, or the single
        label); other values are left out.
    classes
        Class names, in index order.

    Returns
    -------
    pandas.DataFrame
        Index ``classes``; columns ``images``, ``mean entropy``, ``median entropy`` (NaN for an
        empty class) and ``share unanimous`` (share of images whose entropy is 0: every
        annotator gave the same answer).
    """
    entropy = np.asarray(entropy, dtype=np.float64)
    groups = np.asarray(groups)
    if entropy.shape != groups.shape or entropy.ndim != 1:
        raise InvalidInputError(
            f"'entropy' and 'groups' must be 1-D of one length, got {entropy.shape} and "
            f"{groups.shape}."
        )
    frame = pd.DataFrame({"group": groups, "entropy": entropy}).dropna()
    by = frame.groupby("group")["entropy"]
    table = pd.DataFrame(
        {
            "images": by.size(),
            "mean entropy": by.mean(),
            "median entropy": by.median(),
            "share unanimous": by.apply(lambda values: float((values == 0).mean())),
        }
    ).reindex(range(len(classes)))
    table["images"] = table["images"].fillna(0).astype(np.int64)
    table.index = pd.Index(tuple(classes), name="class")
    return table


def annotator_agreement(
    counts: np.ndarray | Sequence[Sequence[int]], reference: np.ndarray | Sequence[int]
) -> np.ndarray:
    """Expected agreement of one randomly drawn annotator with a reference label, per image.

    Parameters
    ----------
    counts
        ``(N, K)`` vote counts.
    reference
        ``(N,)`` the reference label of each image, a column index (e.g. FER-2013's label).

    Returns
    -------
    numpy.ndarray
        ``(N,)`` float64 ``counts[i, reference[i]] / counts[i].sum()``, in [0, 1]; NaN for a row
        without votes or a reference of :data:`NO_MAJORITY`.
    """
    counts = _check_counts(counts)
    reference = _check_labels("reference", reference, len(counts), counts.shape[1])
    total = counts.sum(axis=1).astype(np.float64)
    hit = counts[np.arange(len(counts)), np.maximum(reference, 0)].astype(np.float64)
    valid = (total > 0) & (reference != NO_MAJORITY)
    return np.divide(hit, total, out=np.full(len(counts), np.nan), where=valid)


def leave_one_out_agreement(
    counts: np.ndarray | Sequence[Sequence[int]], *, priority: Sequence[int] | None = None
) -> np.ndarray:
    """Expected agreement of one randomly drawn annotator with the majority of the *others*.

    For each image with ``n`` votes, each vote (for column ``k``) is compared with
    :func:`majority_vote` of the remaining ``n - 1`` votes (same tie rule); the result is the
    share of the ``n`` votes that match their leave-one-out majority.

    Parameters
    ----------
    counts
        ``(N, K)`` vote counts.
    priority
        Tie order, as in :func:`majority_vote`.

    Returns
    -------
    numpy.ndarray
        ``(N,)`` float64 in [0, 1]; NaN for a row with fewer than 2 votes.
    """
    counts = _check_counts(counts)
    order = _priority(priority, counts.shape[1])
    total = counts.sum(axis=1)
    matched = np.zeros(len(counts), dtype=np.float64)
    for k in range(counts.shape[1]):
        voted = counts[:, k] > 0
        if not voted.any():
            continue
        others = counts[voted].copy()
        others[:, k] -= 1
        agrees = majority_vote(others, priority=order) == k
        matched[voted] += counts[voted, k] * agrees
    empty = np.full(len(counts), np.nan)
    return np.divide(matched, total, out=empty, where=total >= 2)


def typical_annotator(
    counts: np.ndarray | Sequence[Sequence[int]],
    labels: np.ndarray | Sequence[int],
    *,
    classes: Sequence[str],
    priority: Sequence[int] | None = None,
) -> pd.DataFrame:
    """The typical annotator against two label sets, per class and overall: a human yardstick.

    Parameters
    ----------
    counts
        ``(N, K)`` vote counts (FER+: the 10 :data:`~emostudy.data.VOTE_COLUMNS`).
    labels
        ``(N,)`` the single label of each image (FER-2013's), column indices.
    classes
        Names of the classes shown as rows (the first ``len(classes)`` columns).
    priority
        Tie order of the majority, as in :func:`majority_vote`.

    Returns
    -------
    pandas.DataFrame
        Rows ``classes`` and ``"all"``; columns ``single label`` (mean of
        :func:`annotator_agreement` with ``labels``, images grouped by that label),
        ``images (single label)``, ``others' majority`` (mean of
        :func:`leave_one_out_agreement`, images grouped by the majority of all their votes) and
        ``images (majority)``. Images whose majority falls outside ``classes`` count in
        ``"all"`` only.
    """
    counts = _check_counts(counts)
    labels = _check_labels("labels", labels, len(counts), counts.shape[1])
    majority = majority_vote(counts, priority=priority)
    with_label = annotator_agreement(counts, labels)
    with_others = leave_one_out_agreement(counts, priority=priority)
    rows = []
    for k, name in enumerate(classes):
        by_label, by_majority = with_label[labels == k], with_others[majority == k]
        rows.append((name, by_label, by_majority))
    rows.append(("all", with_label, with_others))
    return pd.DataFrame(
        {
            "single label": [_mean(a) for _, a, _ in rows],
            "images (single label)": [int(np.isfinite(a).sum()) for _, a, _ in rows],
            "others' majority": [_mean(b) for _, _, b in rows],
            "images (majority)": [int(np.isfinite(b).sum()) for _, _, b in rows],
        },
        index=pd.Index([name for name, _, _ in rows], name="class"),
    )


def _mean(values: np.ndarray) -> float:
    values = values[np.isfinite(values)]
    return float(values.mean()) if len(values) else float("nan")


def disputed_faces(
    counts: np.ndarray | Sequence[Sequence[int]],
    labels: np.ndarray | Sequence[int],
    *,
    n: int = 12,
    rank: str = "entropy",
    classes: int | None = None,
    priority: Sequence[int] | None = None,
) -> np.ndarray:
    """Images whose single label and majority disagree, most disputed first, spread over classes.

    Deterministic: equal scores keep the images' order.

    Parameters
    ----------
    counts
        ``(N, K)`` vote counts.
    labels
        ``(N,)`` the single label of each image (FER-2013's), column indices.
    n
        How many images to choose (fewer if fewer disagree).
    rank
        ``"entropy"``: the annotators most split first (:func:`vote_entropy`);
        ``"majority_share"``: the clearest majorities against the single label first.
    classes
        Spread the choice over the single labels ``0..classes-1`` (round robin: the top image of
        each label, then the second of each, ...); ``None`` takes the top ``n`` overall.
    priority
        Tie order of the majority, as in :func:`majority_vote`.

    Returns
    -------
    numpy.ndarray
        ``(m,)`` int64 row positions, ``m <= n``, in display order.
    """
    counts = _check_counts(counts)
    labels = _check_labels("labels", labels, len(counts), counts.shape[1])
    if rank not in _RANKS:
        raise InvalidInputError(f"The 'rank' parameter must be one of {_RANKS}, got {rank!r}.")
    if not isinstance(n, int | np.integer) or n < 0:
        raise InvalidInputError(f"The 'n' parameter must be an integer >= 0, got {n!r}.")
    majority = majority_vote(counts, priority=priority)
    candidates = np.flatnonzero((majority != NO_MAJORITY) & (majority != labels))
    if rank == "entropy":
        score = vote_entropy(counts[candidates])
    else:
        score = counts[candidates].max(axis=1) / counts[candidates].sum(axis=1)
    ranked = candidates[np.lexsort((candidates, -score))]
    if classes is None:
        return ranked[:n].astype(np.int64)
    queues = [ranked[labels[ranked] == k] for k in range(classes)]
    chosen: list[int] = []
    for depth in range(max((len(q) for q in queues), default=0)):
        chosen += [int(q[depth]) for q in queues if depth < len(q)]
        if len(chosen) >= n:
            break
    return np.asarray(chosen[:n], dtype=np.int64)
