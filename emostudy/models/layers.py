"""Custom Keras layers used by the book's architectures.

:class:`FusedBatchNormalization` computes exactly what ``keras.layers.BatchNormalization``
computes for 4-D image tensors (per-channel batch statistics in training, moving statistics at
inference), but in one fused TensorFlow kernel (``FusedBatchNormV3``) instead of the half-dozen
element-wise passes of Keras' portable implementation. On a 2-core CPU training under
``mixed_bfloat16`` this makes a VGG-lite epoch several times faster (chapter 9 measures it with
:func:`emostudy.training.time_training_epoch`); the numbers it produces match Keras' layer to float
rounding (tests check this).
"""

from __future__ import annotations

import math

from emostudy._quiet import import_keras, import_tensorflow
from emostudy.errors import InvalidInputError

keras = import_keras()


@keras.saving.register_keras_serializable(package="emostudy")
class FusedBatchNormalization(keras.layers.Layer):
    """Batch normalisation over the channel axis of NHWC tensors with TensorFlow's fused kernel.

    Parameters match ``keras.layers.BatchNormalization`` (``axis=-1``): ``momentum`` of the
    moving statistics and ``epsilon`` added to the variance. Inputs: float32 or bfloat16 tensors
    of shape (batch, height, width, channels); scale, offset and moving statistics stay float32.

    One difference in bookkeeping, not in outputs: the moving variance is updated with the
    unbiased (n-1) batch variance, as ``tf.compat.v1.layers.BatchNormalization(fused=True)`` did;
    Keras 3 uses the biased one. With batches of 128 images of 48x48 pixels the two differ by
    a factor of 1 + 1/294,911.
    """

    def __init__(self, momentum: float = 0.99, epsilon: float = 1e-3, **kwargs):
        super().__init__(**kwargs)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise InvalidInputError(
                "FusedBatchNormalization expects 4-D (batch, height, width, channels) inputs "
                f"with a known channel count, got shape {tuple(input_shape)}; use "
                "keras.layers.BatchNormalization for other ranks."
            )
        channels = (int(input_shape[-1]),)

        def weight(name, initializer, trainable):
            return self.add_weight(
                shape=channels,
                initializer=initializer,
                trainable=trainable,
                name=name,
                autocast=False,  # the fused kernel wants float32 statistics for bf16 inputs
                # Under a multi-replica strategy, each replica's update of the moving statistics
                # is averaged across replicas, so that every worker ends with the same model.
                aggregation="none" if trainable else "mean",
            )

        self.gamma = weight("gamma", "ones", True)
        self.beta = weight("beta", "zeros", True)
        self.moving_mean = weight("moving_mean", "zeros", False)
        self.moving_variance = weight("moving_variance", "ones", False)

    def call(self, inputs, training=None):
        tf = import_tensorflow()

        training = bool(training)
        outputs, mean, variance = tf.compat.v1.nn.fused_batch_norm(
            inputs,
            self.gamma,
            self.beta,
            mean=self.moving_mean,
            variance=self.moving_variance,
            epsilon=self.epsilon,
            is_training=training,
            exponential_avg_factor=1.0 - self.momentum if training else 1.0,
        )
        if training:
            # With exponential_avg_factor the kernel returns the updated moving statistics.
            self.moving_mean.assign(mean)
            self.moving_variance.assign(variance)
        return outputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="emostudy")
class RandomPatchErasing(keras.layers.Layer):
    """Random erasing (Zhong et al., AAAI 2020) for batches of NHWC images in [0, 1], vectorised.

    With probability ``probability`` per image, a rectangle covering ``area`` (a fraction of the
    image, drawn uniformly from the range) with aspect ratio ``aspect`` (drawn log-uniformly) is
    filled with uniform noise in [0, 1]. Identity at inference. Built from a handful of batched
    comparisons, so it costs almost nothing per epoch; ``keras.layers.RandomErasing`` does the
    same job image by image and, measured in the training pipeline of the headline model,
    nearly doubled a 46 s epoch.
    """

    def __init__(
        self,
        probability: float = 0.5,
        area: tuple[float, float] = (0.02, 0.33),
        aspect: tuple[float, float] = (0.3, 3.3),
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not 0.0 <= probability <= 1.0:
            raise InvalidInputError(f"probability must be in [0, 1], got {probability}.")
        self.probability = float(probability)
        self.area = (float(area[0]), float(area[1]))
        self.aspect = (float(aspect[0]), float(aspect[1]))
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=True):
        tf = import_tensorflow()

        if not training:
            return images
        images = tf.convert_to_tensor(images)
        shape = tf.shape(images)
        batch, height, width = shape[0], shape[1], shape[2]
        h, w = tf.cast(height, tf.float32), tf.cast(width, tf.float32)

        def uniform(low=0.0, high=1.0, size=None):
            size = (batch,) if size is None else size
            return keras.random.uniform(size, low, high, seed=self.seed_generator)

        area = uniform(*self.area) * h * w
        log_aspect = uniform(math.log(self.aspect[0]), math.log(self.aspect[1]))
        ratio = tf.exp(log_aspect)
        patch_h = tf.minimum(tf.sqrt(area * ratio), h)
        patch_w = tf.minimum(tf.sqrt(area / ratio), w)
        top = uniform() * (h - patch_h)
        left = uniform() * (w - patch_w)
        erase = tf.cast(uniform() < self.probability, tf.float32)
        rows = tf.cast(tf.range(height), tf.float32)[None, :, None]
        cols = tf.cast(tf.range(width), tf.float32)[None, None, :]
        inside = (
            (rows >= top[:, None, None])
            & (rows < (top + patch_h)[:, None, None])
            & (cols >= left[:, None, None])
            & (cols < (left + patch_w)[:, None, None])
        )
        mask = (
            tf.cast(inside, images.dtype)[..., None]
            * tf.cast(erase, images.dtype)[:, None, None, None]
        )
        noise = tf.cast(uniform(size=tf.shape(images)), images.dtype)
        return images * (1 - mask) + noise * mask

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "probability": self.probability,
            "area": self.area,
            "aspect": self.aspect,
            "seed": self.seed,
        }


@keras.saving.register_keras_serializable(package="emostudy")
class RandomFaceCrop(keras.layers.Layer):
    """A random ``size`` x ``size`` crop of every image in training, the centre crop at inference.

    The crop-based training of the strongest published FER-2013 recipes, inside the model: the
    model takes whole 48x48 faces and sees a different ``size``-pixel window of each face in each
    training step, at the pixels' own scale (no resampling), and the centred window at inference.
    A ``size`` of 44 costs (44/48)^2 = 84% of the FLOPs of the whole face. Test-time averaging over
    several windows (:func:`emostudy.models.predict_logits` with ``tta="ten_crop"``) shifts the
    input so that each window lands in the centre.

    Parameters
    ----------
    size
        Side of the square crop in pixels; inputs must be at least this large.
    seed
        Seed of the crop offsets.
    """

    def __init__(self, size: int, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise InvalidInputError(f"RandomFaceCrop size must be a positive int, got {size!r}.")
        self.size = size
        self.seed = seed
        self._generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=None):
        tf = import_tensorflow()

        shape = tf.shape(images)
        height, width = shape[1], shape[2]
        static = images.shape
        if static[1] is not None and (static[1] < self.size or static[2] < self.size):
            raise InvalidInputError(
                f"RandomFaceCrop({self.size}) needs images of at least {self.size}x{self.size} "
                f"pixels, got {static[1]}x{static[2]}."
            )
        if not training:
            top = (height - self.size) // 2
            left = (width - self.size) // 2
            return images[:, top : top + self.size, left : left + self.size, :]
        batch = shape[0]
        seed = self._generator.next()
        seed = tf.cast(tf.reshape(seed, [-1])[:2], tf.int32)
        top = tf.random.stateless_uniform(
            [batch], seed, minval=0, maxval=height - self.size + 1, dtype=tf.int32
        )
        left = tf.random.stateless_uniform(
            [batch], seed + 1, minval=0, maxval=width - self.size + 1, dtype=tf.int32
        )
        # One gather per axis: rows then columns of each image's own window (exact pixels).
        rows = top[:, None] + tf.range(self.size)[None, :]
        cols = left[:, None] + tf.range(self.size)[None, :]
        cropped = tf.gather(images, rows, axis=1, batch_dims=1)
        return tf.gather(cropped, cols, axis=2, batch_dims=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.size, self.size, input_shape[3])

    def get_config(self):
        return {**super().get_config(), "size": self.size, "seed": self.seed}
