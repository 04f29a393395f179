"""Named training recipes for FER-2013: the generations of chapter 9 and the headline model.

A :class:`Recipe` is an architecture from :data:`emostudy.models.ARCHITECTURES` plus a
:class:`~emostudy.training.TrainConfig`. The generations retrace the original study's progression,
each one change at a time; the headline recipe is the one behind the shipped model.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from emostudy.training.config import Augmentation, TrainConfig


@dataclass(frozen=True)
class Recipe:
    """An architecture name, its training config and a one-line description."""

    architecture: str
    config: TrainConfig
    description: str
    #: A shipped model (:func:`emostudy.models.shipped_models`) whose weights start the training
    #: (a warm restart); None trains from random initialisation.
    init_from: str | None = None
    #: Shipped models whose averaged, softened predictions become part of the training targets
    #: (knowledge distillation, weighted by ``config.distill_weight``); empty: labels only.
    teachers: tuple[str, ...] = ()
    #: Softmax temperature of the teachers' averaged logits (> 1 spreads their probabilities).
    teacher_temperature: float = 1.0

    def __post_init__(self):
        if bool(self.teachers) != (self.config.distill_weight > 0):
            from emostudy.errors import InvalidInputError

            raise InvalidInputError(
                "A recipe with teachers needs config.distill_weight > 0, and one with "
                "distill_weight > 0 needs teachers."
            )
        if self.teacher_temperature <= 0:
            from emostudy.errors import InvalidInputError

            raise InvalidInputError("teacher_temperature must be positive.")

    def teacher_probabilities(self, x, *, batch_size: int = 512):
        """The teachers' class probabilities on ``x`` (N, 48, 48, 1), shape (N, n_classes).

        Their logits are averaged over the teachers and a horizontal flip, divided by
        :attr:`teacher_temperature` and passed through a softmax. None without teachers.
        """
        if not self.teachers:
            return None
        from scipy.special import softmax

        from emostudy.models.inputs import predict_ensemble_logits
        from emostudy.models.pretrained import load_emotion_model

        models = [load_emotion_model(name) for name in self.teachers]
        logits = predict_ensemble_logits(models, x, batch_size=batch_size, tta="flip")
        return softmax(logits / self.teacher_temperature, axis=1).astype("float32")

    def with_epochs(self, epochs: int) -> Recipe:
        """The same recipe for ``epochs`` epochs (schedules stretch to the new length)."""
        return replace(self, config=replace(self.config, epochs=epochs))

    def with_precision(self, precision: str) -> Recipe:
        """The same recipe computing in ``precision`` (``"float32"`` or ``"mixed_bfloat16"``).

        Pass :func:`emostudy.hardware.usable_precision` of the recipe's precision to train in
        what this CPU runs natively, instead of :func:`emostudy.training.train`'s fallback
        warning.
        """
        return replace(self, config=replace(self.config, precision=precision))

    def build(self):
        """An uncompiled Keras model of :attr:`architecture` (logits output), initialised from
        :attr:`init_from` when it is set (same layers and weight shapes)."""
        from emostudy.models.builders import build_model

        model = build_model(self.architecture)
        if self.init_from is not None:
            from emostudy.models.pretrained import load_emotion_model

            source = load_emotion_model(self.init_from)
            ours, theirs = model.get_weights(), source.get_weights()
            shapes = [w.shape for w in ours], [w.shape for w in theirs]
            if shapes[0] != shapes[1]:
                from emostudy.errors import InvalidInputError

                raise InvalidInputError(
                    f"Cannot start {self.architecture!r} from {self.init_from!r}: their weights "
                    "differ in number or shape."
                )
            model.set_weights(theirs)
        return model


_BF16 = "mixed_bfloat16"


#: The headline recipe: VGG-lite with BN, AdamW + warm-up cosine, label smoothing, augmentation.
HEADLINE = Recipe(
    "vgg_lite",
    TrainConfig(
        epochs=80,
        batch_size=128,
        learning_rate=2e-3,
        optimizer="adamw",
        weight_decay=0.01,
        schedule="cosine",
        warmup_epochs=3,
        label_smoothing=0.1,
        augment=Augmentation(flip=True, rotation=0.03, shift=0.1, zoom=0.1, erasing=0.5),
        monitor="val_accuracy",
        precision=_BF16,
        seed=2013,
    ),
    "VGG-lite (4 blocks of 48-256 filters, fused BN, global pooling), AdamW + warm-up cosine, "
    "label smoothing, flip/rotate/shift/zoom/random-erasing augmentation",
)


#: The headline model, third version: the second version's 80 epochs continued by a warm restart
#: (a new warm-up cosine cycle at half the learning rate) on random 44-pixel crops, the
#: crop-based training of the strongest published recipes at 84% of the FLOPs per image.
HEADLINE_V3 = Recipe(
    "vgg_lite_crop44",
    TrainConfig(
        epochs=30,
        batch_size=128,
        learning_rate=1e-3,
        optimizer="adamw",
        weight_decay=0.01,
        schedule="cosine",
        warmup_epochs=1,
        label_smoothing=0.1,
        augment=Augmentation(flip=True, rotation=0.03, shift=0.05, zoom=0.1, erasing=0.5),
        monitor="val_accuracy",
        precision=_BF16,
        seed=2026,
        extra={"init_from": "fer2013_vgg_lite"},
    ),
    "VGG-lite of the headline model on random 44-px crops (centre crop at inference), warm "
    "restart from fer2013_vgg_lite: 30 more epochs of AdamW + warm-up cosine at half its "
    "learning rate",
    init_from="fer2013_vgg_lite",
)


#: The headline model, fourth version: a student of the v3 architecture, started from v3, that
#: learns from the labels blended with the softened, flip-averaged ensemble of v2 and v3
#: (offline knowledge distillation): one network's cost for part of an ensemble's accuracy.
HEADLINE_V4 = Recipe(
    "vgg_lite_crop44",
    TrainConfig(
        epochs=20,
        batch_size=128,
        learning_rate=5e-4,
        optimizer="adamw",
        weight_decay=0.01,
        schedule="cosine",
        warmup_epochs=1,
        label_smoothing=0.0,
        augment=Augmentation(flip=True, rotation=0.03, shift=0.05, zoom=0.1, erasing=0.5),
        monitor="val_accuracy",
        precision=_BF16,
        seed=2027,
        distill_weight=0.5,
        extra={
            "init_from": "fer2013_vgg_lite_v3",
            "teachers": ["fer2013_vgg_lite", "fer2013_vgg_lite_v3"],
            "teacher_temperature": 2.0,
        },
    ),
    "the v3 network distilled from the flip-averaged ensemble of v2 and v3 (targets: half "
    "label, half the ensemble's probabilities at temperature 2), 20 more epochs of AdamW + "
    "warm-up cosine from v3's weights",
    init_from="fer2013_vgg_lite_v3",
    teachers=("fer2013_vgg_lite", "fer2013_vgg_lite_v3"),
    teacher_temperature=2.0,
)


#: Chapter 9's generations, in order; each adds one idea to the previous one.
GENERATIONS: dict[str, Recipe] = {
    "gen1_tiny": Recipe(
        "tiny_cnn",
        TrainConfig(epochs=10, learning_rate=1e-3, optimizer="adam", precision=_BF16, seed=2013),
        "two conv layers + one dense layer, Adam, no regularisation",
    ),
    "gen2_vgg": Recipe(
        "vgg_cnn",
        TrainConfig(epochs=12, learning_rate=1e-3, optimizer="adam", precision=_BF16, seed=2013),
        "three VGG blocks of two convolutions, dense head, Adam",
    ),
    "gen3_regularised": Recipe(
        "vgg_bn_cnn",
        TrainConfig(
            epochs=20,
            learning_rate=1e-3,
            optimizer="adam",
            augment=Augmentation(),
            precision=_BF16,
            seed=2013,
        ),
        "generation 2 + batch norm, dropout and augmentation",
    ),
    "gen4_headline": HEADLINE,
}
