"""The training input pipeline: tf.data datasets, augmentation, class weights and soft targets."""

from __future__ import annotations

import numpy as np

from emostudy._quiet import import_keras, import_tensorflow
from emostudy.errors import InvalidInputError
from emostudy.training.config import Augmentation


def make_augmenter(augment: Augmentation, seed: int):
    """A Keras model of random layers implementing ``augment`` (identity at inference)."""
    keras = import_keras()

    layers = []
    if augment.flip:
        layers.append(keras.layers.RandomFlip("horizontal", seed=seed))
    if augment.rotation:
        layers.append(keras.layers.RandomRotation(augment.rotation, fill_mode="reflect", seed=seed))
    if augment.shift:
        layers.append(
            keras.layers.RandomTranslation(
                augment.shift, augment.shift, fill_mode="reflect", seed=seed
            )
        )
    if augment.zoom:
        layers.append(keras.layers.RandomZoom(augment.zoom, fill_mode="reflect", seed=seed))
    if augment.erasing:
        from emostudy.models.layers import RandomPatchErasing

        layers.append(RandomPatchErasing(augment.erasing, seed=seed))
    return keras.Sequential(layers, name="augmentation")


def make_dataset(
    x: np.ndarray,
    y: np.ndarray,
    *,
    batch_size: int,
    shuffle: bool = False,
    augment: Augmentation | None = None,
    seed: int = 0,
    sample_weight: np.ndarray | None = None,
):
    """Batched, prefetched ``tf.data.Dataset`` of ``(x, y[, weight])``, shuffled or augmented.

    With ``augment``, each batch goes through :func:`make_augmenter`; with ``augment.mixup``, then
    through Keras' ``MixUp``, which blends every image and its one-hot ``y`` (shape (N, classes))
    with another image of the batch (sample weights are left as they are). The augmentation runs in
    a private one-thread pool, so that on a small CPU it takes at most one core from the training
    step.
    """
    tf = import_tensorflow()

    tensors = (x, y) if sample_weight is None else (x, y, sample_weight)
    data = tf.data.Dataset.from_tensor_slices(tensors)
    if shuffle:
        data = data.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    data = data.batch(batch_size)
    if augment is not None:
        augmenter = make_augmenter(augment, seed)
        if augmenter.layers:

            def transform(xb, *rest):
                return (augmenter(xb, training=True), *rest)

            data = data.map(transform, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        if augment.mixup:
            keras = import_keras()

            mixup = keras.layers.MixUp(alpha=augment.mixup, seed=seed)

            def blend(xb, yb, *rest):
                mixed = mixup({"images": xb, "labels": yb}, training=True)
                return (mixed["images"], mixed["labels"], *rest)

            data = data.map(blend, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        options = tf.data.Options()
        options.threading.private_threadpool_size = 1
        data = data.with_options(options)
    return data.prefetch(tf.data.AUTOTUNE)


def training_targets(onehot: np.ndarray, teacher: np.ndarray | None, weight: float) -> np.ndarray:
    """One-hot labels (N, C) blended with a teacher's probabilities (N, C) by ``weight``."""
    if teacher is None:
        if weight > 0:
            raise InvalidInputError(
                f"distill_weight={weight} needs teacher_probabilities (one row of class "
                "probabilities per training input)."
            )
        return onehot
    if weight == 0:
        raise InvalidInputError(
            "teacher_probabilities were given but distill_weight is 0, so they would be ignored; "
            "set TrainConfig(distill_weight=...) in (0, 1]."
        )
    teacher = np.asarray(teacher, dtype=np.float32)
    if teacher.shape != onehot.shape:
        raise InvalidInputError(
            f"teacher_probabilities must have shape {onehot.shape} (training inputs x classes), "
            f"got {teacher.shape}."
        )
    if not np.isfinite(teacher).all() or (teacher < 0).any():
        raise InvalidInputError("teacher_probabilities must be finite and non-negative.")
    if not np.allclose(teacher.sum(axis=1), 1.0, atol=1e-3):
        raise InvalidInputError(
            "teacher_probabilities rows must sum to 1 (apply a softmax to logits first)."
        )
    return ((1.0 - weight) * onehot + weight * teacher).astype(np.float32)


def class_weights(y: np.ndarray, n_classes: int) -> np.ndarray:
    """Balanced class weights ``(n_classes,)`` from labels ``y`` (1 for an absent class).

    scikit-learn's ``compute_class_weight("balanced")`` over the classes present.
    """
    from sklearn.utils.class_weight import compute_class_weight

    present = np.unique(y)
    weights = np.ones(n_classes)
    weights[present] = compute_class_weight("balanced", classes=present, y=y)
    return weights
