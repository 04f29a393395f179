"""A fully connected neural network (multilayer perceptron) in plain NumPy, with backprop by hand.

Notation used throughout (one row per example, so a batch is a matrix):

* ``X``: inputs, shape (N, n_0).
* Layer ``l`` (1..L) has weights ``W_l`` of shape (n_{l-1}, n_l) and bias ``b_l`` of shape (n_l,).
* ``Z_l = A_{l-1} @ W_l + b_l`` (pre-activation), ``A_l = f(Z_l)`` (activation), ``A_0 = X``.
* The output layer uses softmax (multiclass, integer labels, cross-entropy loss) or sigmoid
  (binary / multi-label targets in {0, 1}, binary cross-entropy or MSE loss).

The loss is the mean over the batch, plus an optional L2 penalty ``0.5 * l2 * sum_l ||W_l||**2``
(biases are not penalised).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from emostudy.errors import InvalidInputError
from emostudy.nn.activations import ACTIVATIONS, sigmoid, sigmoid_grad, softmax
from emostudy.nn.losses import mse, sigmoid_binary_cross_entropy, softmax_cross_entropy
from emostudy.nn.optimizers import Optimizer

FloatArray = NDArray[np.float64]
Params = list[tuple[FloatArray, FloatArray]]

_OUTPUTS = ("softmax", "sigmoid")
_SIGMOID_LOSSES = ("bce", "mse")
_INITS = ("he", "xavier")


class MLP:
    """Multilayer perceptron with hand-written forward and backward passes.

    Parameters
    ----------
    layer_sizes
        ``[n_inputs, hidden_1, ..., n_outputs]``; at least two entries. For a softmax output,
        ``n_outputs`` is the number of classes; for a sigmoid output it is usually 1 (binary)
        but may be larger (independent binary targets).
    activation
        Hidden-layer activation: ``"relu"``, ``"tanh"``, ``"sigmoid"``, ``"identity"``.
    output
        ``"softmax"`` or ``"sigmoid"``.
    loss
        For a sigmoid output, ``"bce"`` (binary cross-entropy, the default) or ``"mse"``.
        A softmax output always uses cross-entropy.
    seed
        Seed of the weight initialisation.
    weight_init
        ``"he"`` (normal, std ``sqrt(2 / n_in)``, suited to ReLU) or ``"xavier"`` (Glorot
        normal, std ``sqrt(2 / (n_in + n_out))``, suited to tanh/sigmoid). Biases start at zero.
    l2
        L2 weight-decay strength (0 = none).

    Attributes
    ----------
    params
        ``[(W_1, b_1), ..., (W_L, b_L)]``, float64, ``W_l`` of shape (n_in, n_out).
        Optimisers update these arrays in place.
    """

    def __init__(
        self,
        layer_sizes: Sequence[int],
        activation: str = "relu",
        output: str = "softmax",
        seed: int = 0,
        weight_init: str = "he",
        loss: str = "bce",
        l2: float = 0.0,
    ) -> None:
        sizes = [int(n) for n in layer_sizes]
        if len(sizes) < 2 or min(sizes) < 1:
            raise InvalidInputError(
                f"layer_sizes needs at least two positive sizes [n_in, ..., n_out], got {sizes}."
            )
        if activation not in ACTIVATIONS:
            raise InvalidInputError(
                f"unknown activation {activation!r}; choose one of {sorted(ACTIVATIONS)}."
            )
        if output not in _OUTPUTS:
            raise InvalidInputError(f"unknown output {output!r}; choose one of {_OUTPUTS}.")
        if output == "softmax" and sizes[-1] < 2:
            raise InvalidInputError("a softmax output needs at least 2 units (one per class).")
        if loss not in _SIGMOID_LOSSES:
            raise InvalidInputError(f"unknown loss {loss!r}; choose one of {_SIGMOID_LOSSES}.")
        if weight_init not in _INITS:
            raise InvalidInputError(f"unknown weight_init {weight_init!r}; choose one of {_INITS}.")
        if l2 < 0:
            raise InvalidInputError(f"l2 must be >= 0, got {l2}.")
        self.layer_sizes = sizes
        self.activation = activation
        self.output = output
        self.loss_name = "cross_entropy" if output == "softmax" else loss
        self.weight_init = weight_init
        self.l2 = float(l2)
        self._act, self._act_grad = ACTIVATIONS[activation]

        rng = np.random.default_rng(seed)
        self.params: Params = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
            std = np.sqrt(2.0 / n_in) if weight_init == "he" else np.sqrt(2.0 / (n_in + n_out))
            self.params.append((rng.normal(0.0, std, size=(n_in, n_out)), np.zeros(n_out)))

    # --- shapes and validation --------------------------------------------------------------

    @property
    def n_layers(self) -> int:
        """Number of weight layers L (hidden layers + output layer)."""
        return len(self.params)

    @property
    def n_params(self) -> int:
        """Total number of trainable numbers (weights and biases)."""
        return sum(W.size + b.size for W, b in self.params)

    def _check_X(self, X: ArrayLike) -> FloatArray:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.layer_sizes[0] or X.shape[0] == 0:
            raise InvalidInputError(
                f"X must have shape (N, {self.layer_sizes[0]}) with N > 0, got {X.shape}."
            )
        return X

    def _check_y(self, y: ArrayLike, n: int) -> np.ndarray:
        y = np.asarray(y)
        n_out = self.layer_sizes[-1]
        if self.output == "softmax":
            if y.shape != (n,):
                raise InvalidInputError(f"y must be integer labels of shape ({n},), got {y.shape}.")
            if not np.issubdtype(y.dtype, np.integer):
                raise InvalidInputError(f"y must hold integer class labels, got dtype {y.dtype}.")
            if y.min() < 0 or y.max() >= n_out:
                raise InvalidInputError(
                    f"labels must lie in [0, {n_out}), got values in [{y.min()}, {y.max()}]."
                )
            return y
        y = y.astype(np.float64)
        if y.ndim == 1 and n_out == 1:
            y = y[:, None]
        if y.shape != (n, n_out):
            raise InvalidInputError(f"y must have shape ({n},) or ({n}, {n_out}), got {y.shape}.")
        if y.min() < 0 or y.max() > 1:
            raise InvalidInputError("targets of a sigmoid output must lie in [0, 1].")
        return y

    # --- forward pass -------------------------------------------------------------------------

    def forward(self, X: ArrayLike) -> tuple[FloatArray, dict[str, list[FloatArray]]]:
        """Compute the output probabilities, keeping what backprop needs.

        Returns ``(probs, cache)``: ``probs`` of shape (N, n_outputs); ``cache["A"]`` the layer
        inputs ``[A_0 = X, A_1, ..., A_{L-1}]`` and ``cache["Z"]`` the pre-activations
        ``[Z_1, ..., Z_L]`` (``Z_L`` are the logits).
        """
        A = self._check_X(X)
        activations, pre_activations = [A], []
        for layer, (W, b) in enumerate(self.params, start=1):
            Z = A @ W + b  # affine map: (N, n_in) @ (n_in, n_out) + (n_out,)
            pre_activations.append(Z)
            if layer < self.n_layers:
                A = self._act(Z)  # hidden layer non-linearity
                activations.append(A)
        logits = pre_activations[-1]
        probs = softmax(logits) if self.output == "softmax" else sigmoid(logits)
        return probs, {"A": activations, "Z": pre_activations}

    def predict_proba(self, X: ArrayLike) -> FloatArray:
        """Output probabilities, shape (N, n_outputs)."""
        return self.forward(X)[0]

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predicted labels: argmax class (softmax), or ``p >= 0.5`` (sigmoid), as int64.

        Shape (N,) for softmax and single-output sigmoid nets, else (N, n_outputs).
        """
        probs = self.predict_proba(X)
        if self.output == "softmax":
            return probs.argmax(axis=1).astype(np.int64)
        labels = (probs >= 0.5).astype(np.int64)
        return labels[:, 0] if labels.shape[1] == 1 else labels

    # --- loss and backward pass ---------------------------------------------------------------

    def _data_loss_and_dlogits(self, cache: dict[str, list[FloatArray]], y: np.ndarray):
        logits = cache["Z"][-1]
        if self.output == "softmax":
            return softmax_cross_entropy(logits, y)  # dL/dZ_L = (softmax(Z_L) - onehot(y)) / N
        if self.loss_name == "bce":
            return sigmoid_binary_cross_entropy(logits, y)  # dL/dZ_L = (sigmoid(Z_L) - y) / size
        loss, dprobs = mse(sigmoid(logits), y)
        return loss, dprobs * sigmoid_grad(logits)  # chain rule through the output sigmoid

    def _penalty(self) -> float:
        return 0.5 * self.l2 * sum(float(np.sum(W * W)) for W, _ in self.params)

    def loss(self, X: ArrayLike, y: ArrayLike) -> float:
        """Mean loss over the batch (plus the L2 penalty, if any)."""
        X = self._check_X(X)
        y = self._check_y(y, X.shape[0])
        _, cache = self.forward(X)
        return self._data_loss_and_dlogits(cache, y)[0] + self._penalty()

    def backward(self, cache: dict[str, list[FloatArray]], y: ArrayLike) -> Params:
        """Gradients of :meth:`loss` with respect to every parameter, by the chain rule.

        ``cache`` comes from :meth:`forward` on the same batch. Returns ``[(dW_1, db_1), ...]``,
        the same structure and shapes as :attr:`params`.
        """
        A, Z = cache["A"], cache["Z"]
        y = self._check_y(y, A[0].shape[0])
        _, dZ = self._data_loss_and_dlogits(cache, y)  # dL/dZ_L, shape (N, n_L)
        grads: Params = []  # filled from the last layer backwards, reversed at the end
        for layer in range(self.n_layers, 0, -1):  # L, L-1, ..., 1
            W, _ = self.params[layer - 1]
            A_prev = A[layer - 1]
            # Z_l = A_{l-1} @ W_l + b_l, so:
            dW = A_prev.T @ dZ  # dL/dW_l = A_{l-1}^T dL/dZ_l  (sums over the batch)
            db = dZ.sum(axis=0)  # dL/db_l = sum over examples of dL/dZ_l
            dW = dW + self.l2 * W  # d/dW of the penalty 0.5 * l2 * ||W_l||^2
            grads.append((dW, db))
            if layer > 1:
                dA_prev = dZ @ W.T  # dL/dA_{l-1} = dL/dZ_l W_l^T
                dZ = dA_prev * self._act_grad(Z[layer - 2])  # A = f(Z): dL/dZ = dL/dA * f'(Z)
        return grads[::-1]

    def loss_and_grads(self, X: ArrayLike, y: ArrayLike) -> tuple[float, Params]:
        """``(loss, grads)`` for one batch: a forward pass then a backward pass."""
        X = self._check_X(X)
        y = self._check_y(y, X.shape[0])
        _, cache = self.forward(X)
        loss = self._data_loss_and_dlogits(cache, y)[0] + self._penalty()
        return loss, self.backward(cache, y)

    # --- training -----------------------------------------------------------------------------

    def _accuracy(self, probs: FloatArray, y: np.ndarray) -> float:
        if self.output == "softmax":
            return float(np.mean(probs.argmax(axis=1) == y))
        return float(np.mean((probs >= 0.5) == (y >= 0.5)))

    def evaluate(self, X: ArrayLike, y: ArrayLike) -> tuple[float, float]:
        """``(loss, accuracy)`` on a data set (accuracy per output unit for sigmoid nets)."""
        X = self._check_X(X)
        y = self._check_y(y, X.shape[0])
        probs, cache = self.forward(X)
        loss = self._data_loss_and_dlogits(cache, y)[0] + self._penalty()
        return loss, self._accuracy(probs, y)

    def fit(
        self,
        X: ArrayLike,
        y: ArrayLike,
        optimizer: Optimizer,
        epochs: int = 10,
        batch_size: int = 32,
        seed: int = 0,
        X_val: ArrayLike | None = None,
        y_val: ArrayLike | None = None,
    ) -> dict[str, list[float]]:
        """Mini-batch training; returns the history of each epoch.

        Each epoch shuffles the training set (``seed`` makes this reproducible), then takes one
        optimiser step per mini-batch of ``batch_size`` examples (the last batch may be smaller).

        Returns ``{"loss", "accuracy", "val_loss", "val_accuracy"}``, one float per epoch. As in
        Keras, ``loss``/``accuracy`` are averages over the epoch's mini-batches (weighted by batch
        size) measured *while* the weights change; ``val_*`` are measured at the end of the epoch
        (and are empty lists without validation data).
        """
        X = self._check_X(X)
        y = self._check_y(y, X.shape[0])
        if epochs < 0 or batch_size < 1:
            raise InvalidInputError(
                f"need epochs >= 0 and batch_size >= 1, got {epochs}, {batch_size}."
            )
        has_val = X_val is not None and y_val is not None
        if (X_val is None) != (y_val is None):
            raise InvalidInputError("pass both X_val and y_val, or neither.")
        rng = np.random.default_rng(seed)
        n = X.shape[0]
        history: dict[str, list[float]] = {
            "loss": [],
            "accuracy": [],
            "val_loss": [],
            "val_accuracy": [],
        }
        for _ in range(epochs):
            order = rng.permutation(n)
            loss_sum = correct_sum = 0.0
            for start in range(0, n, batch_size):
                batch = order[start : start + batch_size]
                X_batch, y_batch = X[batch], y[batch]
                probs, cache = self.forward(X_batch)
                loss = self._data_loss_and_dlogits(cache, y_batch)[0] + self._penalty()
                loss_sum += loss * len(batch)
                correct_sum += self._accuracy(probs, y_batch) * len(batch)
                optimizer.step(self.params, self.backward(cache, y_batch))
            history["loss"].append(loss_sum / n)
            history["accuracy"].append(correct_sum / n)
            if has_val:
                val_loss, val_accuracy = self.evaluate(X_val, y_val)
                history["val_loss"].append(val_loss)
                history["val_accuracy"].append(val_accuracy)
        return history

    def __repr__(self) -> str:
        return (
            f"MLP(layer_sizes={self.layer_sizes}, activation={self.activation!r}, "
            f"output={self.output!r}, loss={self.loss_name!r}, n_params={self.n_params})"
        )


def copy_params(params: Any) -> Params:
    """A deep copy of ``[(W, b), ...]`` (e.g. to restore the best weights after training)."""
    return [tuple(np.array(a, copy=True) for a in layer) for layer in params]  # type: ignore[misc]
