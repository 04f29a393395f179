"""Calibration: do a model's probabilities mean what they say?

* :func:`expected_calibration_error` (ECE): top-label, equal-width confidence bins (15 by
  default, as in Guo et al., ICML 2017): ``sum_b n_b / N * |accuracy_b - confidence_b|``.
* :func:`reliability_bins`: the numbers behind a reliability diagram, as a DataFrame (no plot).
* :func:`mean_kl_from_shares`: mean KL divergence ``KL(shares || p)`` in nats of the predicted
  probabilities ``p`` from annotators' vote shares (FER+), with a stated floor ``eps`` on ``p``.
* :func:`fit_temperature`: the temperature ``T`` that minimises the negative log-likelihood of
  ``softmax(logits / T)`` against labels or vote shares (``scipy.optimize``); dividing the last
  layer's kernel and bias by ``T`` bakes it into a network.

A confidence falls in bin ``b`` (0-based) of ``n_bins`` when ``b / n_bins < c <= (b + 1) / n_bins``
(and ``c = 0`` in bin 0): the same binning as scikit-learn's ``calibration_curve(...,
strategy="uniform")``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from emostudy.errors import InvalidInputError

#: Number of equal-width confidence bins of the ECE (Guo et al., 2017; the issue's protocol).
N_BINS = 15
#: Floor on predicted probabilities in :func:`mean_kl_from_shares` (nats are finite with it).
KL_EPS = 1e-7


def _check_probabilities(probabilities: np.ndarray) -> np.ndarray:
    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] < 2:
        raise InvalidInputError(f"probabilities must be (N, K) with K >= 2, got {p.shape}.")
    if len(p) and (
        (p < -1e-6).any() or (p > 1 + 1e-6).any() or not np.allclose(p.sum(axis=1), 1, atol=1e-3)
    ):
        raise InvalidInputError(
            "probabilities must lie in [0, 1] with rows summing to 1; apply softmax to logits."
        )
    return p


def _check_labels(labels: np.ndarray, n: int, k: int) -> np.ndarray:
    y = np.asarray(labels)
    if y.shape != (n,) or not np.issubdtype(y.dtype, np.integer):
        raise InvalidInputError(f"labels must be ({n},) integers, got {y.dtype} {y.shape}.")
    if n and (y.min() < 0 or y.max() >= k):
        raise InvalidInputError(f"labels must lie in 0..{k - 1}, got {y.min()}..{y.max()}.")
    return y.astype(np.int64)


def reliability_bins(
    probabilities: np.ndarray, labels: np.ndarray, *, n_bins: int = N_BINS
) -> pd.DataFrame:
    """Top-label reliability diagram data.

    Parameters
    ----------
    probabilities
        ``(N, K)`` predicted probabilities.
    labels
        ``(N,)`` true class indices 0..K-1.
    n_bins
        Equal-width bins of the top-label confidence on [0, 1].

    Returns
    -------
    pandas.DataFrame
        ``n_bins`` rows: ``lower``, ``upper`` (bin edges), ``count``, ``confidence`` (mean top
        probability), ``accuracy`` (fraction whose top class is right), ``gap`` (accuracy -
        confidence); the last three NaN for empty bins.
    """
    p = _check_probabilities(probabilities)
    y = _check_labels(labels, len(p), p.shape[1])
    if int(n_bins) < 1:
        raise InvalidInputError(f"n_bins must be a positive integer, got {n_bins!r}.")
    edges = np.linspace(0.0, 1.0, int(n_bins) + 1)
    confidence = p.max(axis=1)
    correct = (p.argmax(axis=1) == y).astype(np.float64)
    which = np.searchsorted(edges[1:-1], confidence, side="left")
    count = np.bincount(which, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_confidence = np.bincount(which, weights=confidence, minlength=n_bins) / count
        accuracy = np.bincount(which, weights=correct, minlength=n_bins) / count
    return pd.DataFrame(
        {
            "lower": edges[:-1],
            "upper": edges[1:],
            "count": count,
            "confidence": mean_confidence,
            "accuracy": accuracy,
            "gap": accuracy - mean_confidence,
        }
    )


def expected_calibration_error(
    probabilities: np.ndarray, labels: np.ndarray, *, n_bins: int = N_BINS
) -> float:
    """Top-label expected calibration error: ``sum_b n_b / N * |accuracy_b - confidence_b|``
    over ``n_bins`` equal-width confidence bins (:func:`reliability_bins`). 0 is perfect."""
    bins = reliability_bins(probabilities, labels, n_bins=n_bins)
    used = bins["count"] > 0
    if not used.any():
        raise InvalidInputError("ECE of zero examples is undefined.")
    weights = bins.loc[used, "count"] / bins["count"].sum()
    return float((weights * bins.loc[used, "gap"].abs()).sum())


def mean_kl_from_shares(
    probabilities: np.ndarray, shares: np.ndarray, *, eps: float = KL_EPS
) -> float:
    """Mean over images of ``KL(shares || p) = sum_k s_k log(s_k / p_k)`` in nats.

    Parameters
    ----------
    probabilities
        ``(N, K)`` predicted probabilities ``p``; each is floored at ``eps`` (and the row
        renormalised) so that a class the annotators voted for but the model ruled out costs a
        finite ``log(s / eps)``.
    shares
        ``(N, K)`` vote shares ``s`` (rows summing to 1); terms with ``s_k = 0`` are 0.
    eps
        The floor on ``p``; stated with every reported KL (default ``1e-7``).
    """
    p = _check_probabilities(probabilities)
    s = np.asarray(shares, dtype=np.float64)
    if s.shape != p.shape:
        raise InvalidInputError(f"shares {s.shape} must match probabilities {p.shape}.")
    if len(s) == 0:
        raise InvalidInputError("KL of zero examples is undefined.")
    if (s < 0).any() or not np.allclose(s.sum(axis=1), 1, atol=1e-6):
        raise InvalidInputError("shares must be non-negative with rows summing to 1.")
    p = np.maximum(p, eps)
    p = p / p.sum(axis=1, keepdims=True)
    safe = np.where(s > 0, s, 1.0)
    terms = np.where(s > 0, s * np.log(safe / p), 0.0)
    return float(terms.sum(axis=1).mean())


def _targets(targets: np.ndarray, n: int, k: int) -> np.ndarray:
    t = np.asarray(targets)
    if t.ndim == 1:
        y = _check_labels(t, n, k)
        return np.eye(k)[y]
    t = t.astype(np.float64)
    if t.shape != (n, k) or (t < 0).any() or not np.allclose(t.sum(axis=1), 1, atol=1e-6):
        raise InvalidInputError(
            f"targets must be ({n},) labels or ({n}, {k}) distributions (vote shares), got "
            f"{t.shape}."
        )
    return t


def negative_log_likelihood(
    logits: np.ndarray, targets: np.ndarray, *, temperature: float = 1.0
) -> float:
    """Mean cross-entropy ``-sum_k t_k log softmax(logits / T)_k`` (nats); ``targets`` are
    ``(N,)`` labels or ``(N, K)`` target distributions (e.g. vote shares)."""
    from scipy.special import log_softmax

    z = np.asarray(logits, dtype=np.float64) / float(temperature)
    t = _targets(targets, *z.shape)
    return float(-(t * log_softmax(z, axis=1)).sum(axis=1).mean())


def fit_temperature(
    logits: np.ndarray, targets: np.ndarray, *, bounds: tuple[float, float] = (0.05, 20.0)
) -> float:
    """The temperature ``T`` minimising :func:`negative_log_likelihood` of ``softmax(logits/T)``.

    Parameters
    ----------
    logits
        ``(N, K)`` logits (of the held-out set the temperature is fitted on, e.g. PublicTest).
    targets
        ``(N,)`` labels or ``(N, K)`` distributions (vote shares).
    bounds
        Search interval of ``T``; the fit is a bounded 1-D minimisation over ``log T``
        (``scipy.optimize.minimize_scalar``, tolerance 1e-6 on ``log T``).

    Returns
    -------
    float
        ``T`` (> 1 softens over-confident probabilities; accuracy is unchanged, the argmax of
        ``logits / T`` is the argmax of ``logits``).
    """
    from scipy.optimize import minimize_scalar

    z = np.asarray(logits, dtype=np.float64)
    if z.ndim != 2 or len(z) == 0:
        raise InvalidInputError(f"logits must be (N, K) with N > 0, got {z.shape}.")
    t = _targets(targets, *z.shape)
    low, high = (float(b) for b in bounds)
    if not 0 < low < high:
        raise InvalidInputError(f"bounds must satisfy 0 < low < high, got {bounds}.")
    result = minimize_scalar(
        lambda log_t: negative_log_likelihood(z, t, temperature=float(np.exp(log_t))),
        bounds=(np.log(low), np.log(high)),
        method="bounded",
        options={"xatol": 1e-6},
    )
    return float(np.exp(result.x))
