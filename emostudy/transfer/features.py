"""Fixed feature extractors: a trained network's layers, and face_recognition's descriptors.

Neither learns anything from the images it describes, so features may be computed once for the
whole data set before cross-validation without leaking test folds into training.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from emostudy._quiet import import_keras
from emostudy.errors import InvalidInputError
from emostudy.models.inputs import to_model_input

#: Layers of the shipped FER-2013 network offered as features: the global-average-pooled output
#: of the last block (256 values), the last block's 3x3 max-pooled map (2,304 values) and the
#: third block's 6x6 max-pooled map (6,912 values).
FEATURE_LAYERS = ("global_average_pooling2d", "max_pooling2d_3", "max_pooling2d_2")
#: face_recognition's threshold: two descriptors closer than this are "the same person".
SAME_PERSON_DISTANCE = 0.6


def feature_layers(model: Any, candidates: Sequence[str] = FEATURE_LAYERS) -> tuple[str, ...]:
    """The layers of ``model`` to offer as features: ``candidates`` it has, else its penultimate.

    Parameters
    ----------
    model
        A Keras network whose last layer gives the class scores.
    candidates
        Layer names to look for, in order (default :data:`FEATURE_LAYERS`, the VGG-lite's).

    Returns
    -------
    tuple of str
        The candidates present in ``model`` (in the order given); when none is, the name of the
        layer whose output feeds the last layer (the penultimate features).
    """
    known = [layer.name for layer in model.layers]
    present = tuple(name for name in candidates if name in known)
    if present:
        return present
    if len(known) < 2:
        raise InvalidInputError(f"{model.name} has no layer before its output layer.")
    return (known[-2],)


def network_features(
    faces: np.ndarray,
    *,
    model: Any = None,
    layers: Sequence[str] = FEATURE_LAYERS,
    flip: bool = True,
    batch_size: int = 256,
) -> dict[str, np.ndarray]:
    """Activations of chosen layers of a Keras network, one row per face.

    Parameters
    ----------
    faces
        uint8 grayscale faces (N, 48, 48, 1), (N, 48, 48) or (48, 48).
    model
        The network; default :func:`emostudy.models.load_emotion_model` (the shipped
        FER-2013 model).
    layers
        Names of its layers; 4-D outputs (maps) are flattened.
    flip
        Average each face's activations with those of its mirror image.

    Returns
    -------
    dict
        ``{layer: float32 array (N, d_layer)}`` in the order of ``layers``.
    """
    keras = import_keras()

    from emostudy.models.pretrained import load_emotion_model

    x = to_model_input(faces)
    model = model if model is not None else load_emotion_model()
    known = [layer.name for layer in model.layers]
    missing = [name for name in layers if name not in known]
    if missing or not layers:
        raise InvalidInputError(
            f"Layers {missing or list(layers)} are not in {model.name}; choose among {known}."
        )
    extractor = keras.Model(model.input, [model.get_layer(name).output for name in layers])

    def run(batch):
        outputs = extractor.predict(batch, batch_size=batch_size, verbose=0)
        outputs = outputs if isinstance(outputs, list | tuple) else [outputs]
        return [np.asarray(o, dtype=np.float32).reshape(len(batch), -1) for o in outputs]

    features = run(x)
    if flip:
        features = [(a + b) / 2 for a, b in zip(features, run(x[:, :, ::-1]), strict=True)]
    return dict(zip(layers, features, strict=True))


def face_descriptors(faces: np.ndarray, *, size: int = 150, num_jitters: int = 1) -> np.ndarray:
    """face_recognition's 128-d face descriptors (dlib's ResNet) of face crops.

    Each crop is enlarged (bicubic) to ``size`` x ``size`` pixels, converted to RGB and described
    with the whole crop as the face location, so no detector is involved.

    Parameters
    ----------
    faces
        uint8 grayscale crops (N, H, W), (N, H, W, 1) or (H, W), one face filling each.
    size
        Side in pixels of the enlarged crop (the network's aligned chips are 150 px).
    num_jitters
        Random re-samplings averaged per face (face_recognition's option; 1 = none).

    Returns
    -------
    ndarray
        float64, shape (N, 128).
    """
    import cv2
    import face_recognition

    from emostudy.faces.landmarks import as_gray_faces

    faces = as_gray_faces(faces)
    if size < 32 or num_jitters < 1:
        raise InvalidInputError(
            f"size must be >= 32 and num_jitters >= 1, got {size}, {num_jitters}."
        )
    descriptors = np.empty((len(faces), 128))
    for i, face in enumerate(faces):
        big = cv2.resize(face, (size, size), interpolation=cv2.INTER_CUBIC)
        rgb = np.ascontiguousarray(cv2.cvtColor(big, cv2.COLOR_GRAY2RGB))
        (descriptors[i],) = face_recognition.face_encodings(
            rgb, known_face_locations=[(0, size, size, 0)], num_jitters=num_jitters
        )
    return descriptors


def identity_check(
    descriptors: np.ndarray, subjects: np.ndarray, *, threshold: float = SAME_PERSON_DISTANCE
) -> dict[str, float]:
    """Do the descriptors still tell people apart? Pairwise distances by subject.

    Returns
    -------
    dict
        ``same_subject_match``: fraction of pairs of images of one subject closer than
        ``threshold`` (ideally near 1); ``different_subject_match``: fraction of pairs of two
        subjects closer than it (ideally near 0); median distances of both kinds of pairs.
    """
    descriptors = np.asarray(descriptors, dtype=np.float64)
    subjects = np.asarray(subjects)
    if descriptors.ndim != 2 or len(descriptors) != len(subjects) or len(subjects) < 2:
        raise InvalidInputError(
            f"descriptors (N, d) and subjects (N,) must match with N >= 2, got "
            f"{descriptors.shape} and {subjects.shape}."
        )
    rows, cols = np.triu_indices(len(subjects), k=1)
    distances = np.linalg.norm(descriptors[rows] - descriptors[cols], axis=1)
    same = subjects[rows] == subjects[cols]
    if not same.any() or same.all():
        raise InvalidInputError("identity_check needs pairs of the same and of different subjects.")
    return {
        "same_subject_match": float(np.mean(distances[same] < threshold)),
        "different_subject_match": float(np.mean(distances[~same] < threshold)),
        "same_subject_median_distance": float(np.median(distances[same])),
        "different_subject_median_distance": float(np.median(distances[~same])),
        "threshold": float(threshold),
    }
