"""A seeded synthetic stand-in for FER-2013: 48x48 grayscale cartoon faces whose expression
depends on the class.

Each class has a template of four expression parameters, each in [-1, 1] or [0, 1]:

``mouth_curvature``
    +1 a smile (mouth corners up), -1 a frown.
``mouth_openness``
    0 closed lips, 1 a wide open mouth.
``brow_angle``
    +1 inner brow ends pulled down (anger), -1 inner ends raised (sadness, fear).
``eye_openness``
    0 nearly shut, 1 wide open.

Every image jitters these parameters (Gaussian, so classes overlap a little), and the face's
position, scale, rotation, brightness and contrast, and adds Gaussian pixel noise. The classes are
easy to learn (logistic regression on raw pixels is far above chance) but not trivially separable.
These are NOT faces: numbers computed on them say nothing about FER-2013.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import pandas as pd

from emostudy._validation import check_int, check_names, check_seed
from emostudy.data.classes import FACE_SIZE, FER_CLASSES, FER_USAGES
from emostudy.data.faceset import FaceSet
from emostudy.errors import InvalidInputError

PARAMETERS = ("mouth_curvature", "mouth_openness", "brow_angle", "eye_openness")

#: Expression templates (mouth_curvature, mouth_openness, brow_angle, eye_openness) by class name.
TEMPLATES: dict[str, tuple[float, float, float, float]] = {
    "angry": (-0.5, 0.15, 1.0, 0.45),
    "anger": (-0.5, 0.15, 1.0, 0.45),
    "disgust": (-0.8, 0.45, 0.5, 0.15),
    "contempt": (0.4, 0.0, 0.5, 0.5),
    "fear": (-0.4, 0.6, -0.9, 1.0),
    "happy": (1.0, 0.35, 0.0, 0.5),
    "happiness": (1.0, 0.35, 0.0, 0.5),
    "sad": (-1.0, 0.0, -0.9, 0.3),
    "sadness": (-1.0, 0.0, -0.9, 0.3),
    "surprise": (0.0, 1.0, -0.3, 1.0),
    "neutral": (0.0, 0.0, 0.0, 0.6),
}

PARAMETER_JITTER = 0.15  # standard deviation of the expression parameters around the template
SCALE = 4  # faces are drawn at 4x the size, then shrunk with area averaging (anti-aliasing)
SHIFT = 4  # fractional bits of the cv2 drawing coordinates


def make_synthetic_faces(
    n_per_class: int = 100,
    *,
    seed: int = 0,
    classes: Sequence[str] = FER_CLASSES,
    usage_fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
) -> FaceSet:
    """Generate seeded synthetic faces, ``n_per_class`` per class.

    Parameters
    ----------
    n_per_class
        Images per class.
    seed
        Seed of every random choice: the same seed gives the same images.
    classes
        Class names; known names (FER-2013 and CK+ classes) get a hand-made expression template,
        other names get distinct seeded templates.
    usage_fractions
        Fractions of each class assigned to Training, PublicTest and PrivateTest.

    Returns
    -------
    FaceSet
        Named ``"synthetic"``, ``synthetic=True``, images ``(N, 48, 48, 1)`` uint8 sorted by
        usage then class; meta columns ``usage``, ``source`` (``synthetic:<i>``) and the drawn
        parameters (the four expression parameters, ``dx``, ``dy`` in pixels, ``scale``,
        ``rotation`` in degrees, ``brightness``, ``contrast``, ``noise`` in gray levels).
    """
    n_per_class = check_int("n_per_class", n_per_class, minimum=1)
    seed = check_seed("seed", seed)
    classes = tuple(check_names("classes", classes))
    fractions = np.asarray(usage_fractions, dtype=float)
    if fractions.shape != (3,) or (fractions < 0).any() or not np.isclose(fractions.sum(), 1):
        raise InvalidInputError(
            f"usage_fractions must be three non-negative fractions (Training, PublicTest, "
            f"PrivateTest) summing to 1, got {usage_fractions}."
        )
    rng = np.random.default_rng(seed)
    templates = _templates(classes)
    counts = np.round(np.cumsum(fractions) * n_per_class).astype(int)
    usage_per_class = np.repeat(np.arange(3), np.diff(np.concatenate([[0], counts])))
    labels = np.repeat(np.arange(len(classes)), n_per_class)
    usages = np.concatenate([rng.permutation(usage_per_class) for _ in classes])
    order = np.lexsort((labels, usages))
    labels, usages = labels[order].astype(np.int64), usages[order]
    n = len(labels)

    params = templates[labels] + rng.normal(0.0, PARAMETER_JITTER, size=(n, 4))
    params[:, 0] = params[:, 0].clip(-1.2, 1.2)
    params[:, 1:2] = params[:, 1:2].clip(0.0, 1.2)
    params[:, 2] = params[:, 2].clip(-1.2, 1.2)
    params[:, 3] = params[:, 3].clip(0.05, 1.2)
    meta = pd.DataFrame(params, columns=list(PARAMETERS))
    meta["dx"] = rng.uniform(-2.5, 2.5, n)
    meta["dy"] = rng.uniform(-2.5, 2.5, n)
    meta["scale"] = rng.uniform(0.88, 1.08, n)
    meta["rotation"] = rng.uniform(-10.0, 10.0, n)
    meta["brightness"] = rng.uniform(-35.0, 35.0, n)
    meta["contrast"] = rng.uniform(0.65, 1.25, n)
    meta["noise"] = rng.uniform(3.0, 10.0, n)
    face_tone = rng.uniform(150.0, 215.0, n)
    background = rng.uniform(30.0, 110.0, n)

    images = np.empty((n, FACE_SIZE, FACE_SIZE, 1), dtype=np.uint8)
    noise = rng.standard_normal((n, FACE_SIZE, FACE_SIZE)).astype(np.float32)
    for i, row in enumerate(meta.itertuples(index=False)):
        face = _draw_face(row, face_tone[i], background[i])
        face = face * row.contrast + (128.0 * (1.0 - row.contrast) + row.brightness)
        face += noise[i] * row.noise
        images[i, :, :, 0] = np.clip(face, 0, 255).astype(np.uint8)

    meta.insert(0, "source", [f"synthetic:{i}" for i in range(n)])
    meta.insert(0, "usage", np.asarray(FER_USAGES, dtype=object)[usages])
    return FaceSet(images, labels, classes, meta, "synthetic", synthetic=True)


def _templates(classes: tuple[str, ...]) -> np.ndarray:
    """``(n_classes, 4)`` templates; unknown names get seeded ones, distinct from each other."""
    rng = np.random.default_rng(12345)
    rows = []
    for name in classes:
        if name.lower() in TEMPLATES:
            rows.append(TEMPLATES[name.lower()])
        else:
            rows.append(
                (rng.uniform(-1, 1), rng.uniform(0, 1), rng.uniform(-1, 1), rng.uniform(0.2, 1))
            )
    return np.asarray(rows, dtype=float)


def _point(x: float, y: float) -> tuple[int, int]:
    """Drawing-canvas coordinates (in 48-pixel units) to cv2 fixed-point coordinates."""
    factor = SCALE * (1 << SHIFT)
    return round(x * factor), round(y * factor)


def _draw_face(p: object, face_tone: float, background: float) -> np.ndarray:
    """One ``(48, 48)`` float32 face drawn from the parameters in row ``p``."""
    size = FACE_SIZE * SCALE
    canvas = np.full((size, size), background, dtype=np.uint8)
    aa, dark = cv2.LINE_AA, 35

    def axes(a: float, b: float) -> tuple[int, int]:
        return round(a * SCALE * (1 << SHIFT)), round(b * SCALE * (1 << SHIFT))

    # Face oval and eyes.
    cv2.ellipse(canvas, _point(24, 25), axes(15.5, 19.5), 0, 0, 360, face_tone, -1, aa, SHIFT)
    eye_height = max(0.4, 2.6 * p.eye_openness)
    for x in (18.0, 30.0):
        cv2.ellipse(canvas, _point(x, 21), axes(3.2, eye_height), 0, 0, 360, dark, -1, aa, SHIFT)
    # Brows: the inner end moves down by brow_angle, the outer end up.
    for inner, outer in ((21.0, 14.0), (27.0, 34.0)):
        tilt = 2.2 * p.brow_angle
        start, end = _point(inner, 15.5 + tilt), _point(outer, 15.5 - 0.5 * tilt)
        cv2.line(canvas, start, end, dark, 2 * SCALE, aa, SHIFT)
    # Mouth: upper lip a parabola whose corners rise with curvature; open mouths filled.
    t = np.linspace(-1.0, 1.0, 15)
    x = 24.0 + 7.0 * t
    upper = 33.5 - 3.0 * p.mouth_curvature * (t**2 - 0.5)
    lower = upper + 6.0 * p.mouth_openness * (1.0 - t**2)
    fixed = SCALE * (1 << SHIFT)
    upper_points = np.stack([x, upper], axis=1) * fixed
    if p.mouth_openness > 0.1:
        lower_points = np.stack([x, lower], axis=1)[::-1] * fixed
        polygon = np.round(np.concatenate([upper_points, lower_points])).astype(np.int32)
        cv2.fillPoly(canvas, [polygon], dark, aa, SHIFT)
    cv2.polylines(canvas, [np.round(upper_points).astype(np.int32)], False, dark, SCALE, aa, SHIFT)

    # Pose: rotation and scale about the face centre, then a shift, at drawing resolution.
    matrix = cv2.getRotationMatrix2D((24.0 * SCALE, 25.0 * SCALE), p.rotation, p.scale)
    matrix[:, 2] += (p.dx * SCALE, p.dy * SCALE)
    canvas = cv2.warpAffine(
        canvas, matrix, (size, size), flags=cv2.INTER_LINEAR, borderValue=float(background)
    )
    return cv2.resize(canvas, (FACE_SIZE, FACE_SIZE), interpolation=cv2.INTER_AREA).astype(
        np.float32
    )
