"""Faces as the emotion models see them: the FER-style crop, eye-line alignment and dlib's 68
facial landmarks, shared by transfer learning (chapter 11) and the recognizer (chapter 12).

Floor 2 of the house plan: it may import ``emostudy.data``, ``emostudy.detectors`` and the floor-0
modules, never ``training``; dlib loads lazily in the function that needs it.
"""

from emostudy.faces.crop import (
    DEFAULT_CROP,
    CropSpec,
    crop_candidates,
    crop_face,
    crop_faces,
    eye_line_angle,
    to_gray,
)
from emostudy.faces.landmarks import (  # dlib's 68 landmarks and their geometry (chapter 11)
    LANDMARK_BOX,
    N_LANDMARKS,
    detect_landmarks,
    frontal_face_found,
    landmark_features,
    landmark_geometry,
)

__all__: list[str] = [
    # the FER-style crop (chapter 12)
    "DEFAULT_CROP",
    "CropSpec",
    "crop_candidates",
    "crop_face",
    "crop_faces",
    "eye_line_angle",
    "to_gray",
    # dlib's 68 landmarks and geometric features (chapter 11)
    "LANDMARK_BOX",
    "N_LANDMARKS",
    "detect_landmarks",
    "frontal_face_found",
    "landmark_features",
    "landmark_geometry",
]
