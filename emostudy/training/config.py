"""What decides a training run besides the data and the architecture."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from emostudy.errors import InvalidInputError

OPTIMIZERS = ("adam", "adamw", "sgd")


SCHEDULES = ("constant", "cosine")


PRECISIONS = ("float32", "mixed_bfloat16")


@dataclass(frozen=True)
class Augmentation:
    """Random training-time transforms; fractions are of the image size or of a full turn.

    ``flip``, ``rotation``, ``shift`` and ``zoom`` are Keras' random image layers, ``erasing`` is
    :class:`~emostudy.models.layers.RandomPatchErasing` (probability per image), and ``mixup`` is
    the ``alpha`` of Keras' ``MixUp``, which blends each image and its label
    with another of the batch (weight drawn from Beta(alpha, alpha); 0 switches it off).
    """

    flip: bool = True  # horizontal flips (faces are roughly symmetric)
    rotation: float = 0.05  # up to +-5% of 360 degrees = +-18 degrees
    shift: float = 0.1  # up to +-10% of 48 px = +-4.8 px, both axes
    zoom: float = 0.1  # up to +-10%
    erasing: float = 0.0  # probability of erasing a random patch (2-33% of the image) with noise
    mixup: float = 0.0  # Beta(alpha, alpha) of mixup blending image pairs and labels; 0: off


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run besides the data and the architecture."""

    epochs: int = 30
    batch_size: int = 128
    learning_rate: float = 1e-3
    optimizer: str = "adam"  # one of OPTIMIZERS
    weight_decay: float = 0.0  # decoupled weight decay (adamw) per step, relative
    momentum: float = 0.9  # sgd only
    schedule: str = "constant"  # "cosine": linear warm-up then cosine decay to 0
    warmup_epochs: int = 0
    label_smoothing: float = 0.0
    class_weight: str | None = None  # "balanced": weight classes by inverse frequency
    augment: Augmentation | None = None
    early_stopping: int | None = None  # patience in epochs; None: run all epochs, keep the best
    monitor: str = "val_accuracy"
    # "mixed_bfloat16": bf16 compute, float32 weights; used only where the CPU has bf16 units
    precision: str = "float32"
    seed: int = 0
    # weight of a teacher's probabilities in the training targets (knowledge distillation):
    # target = (1 - w) * one-hot label + w * teacher; needs train(teacher_probabilities=...)
    distill_weight: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)  # free-form notes stored with the run

    def __post_init__(self):
        if self.optimizer not in OPTIMIZERS:
            raise InvalidInputError(
                f"optimizer must be one of {OPTIMIZERS}, not {self.optimizer!r}."
            )
        if self.schedule not in SCHEDULES:
            raise InvalidInputError(f"schedule must be one of {SCHEDULES}, not {self.schedule!r}.")
        if self.precision not in PRECISIONS:
            raise InvalidInputError(
                f"precision must be one of {PRECISIONS}, not {self.precision!r}."
            )
        if self.epochs < 1 or self.batch_size < 1:
            raise InvalidInputError("epochs and batch_size must be positive.")
        if not 0.0 <= self.distill_weight <= 1.0:
            raise InvalidInputError(
                f"distill_weight must be in [0, 1] (got {self.distill_weight}): it is the share "
                "of the teacher's probabilities in the training targets."
            )


@dataclass
class TrainResult:
    """What a run produced. ``model`` carries the weights of the best epoch."""

    model: Any
    history: pd.DataFrame  # one row per epoch: loss, accuracy, val_loss, val_accuracy, lr, seconds
    best_epoch: int  # 1-based
    best_score: float  # value of config.monitor at best_epoch
    seconds: float  # wall time of fit()
    n_params: int
    out_dir: Path | None
    #: The precision the run used: ``config.precision``, or ``"float32"`` where that asked for
    #: ``"mixed_bfloat16"`` on a CPU that would only emulate it (None: not recorded).
    precision: str | None = None

    @property
    def seconds_per_epoch(self) -> float:
        """Median wall time of an epoch, in seconds."""
        return float(self.history["seconds"].median())
