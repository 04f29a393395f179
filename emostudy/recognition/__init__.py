"""The recognizer (floor 5): detector + FER-style crop + emotion model → per-face results; video
tracking and smoothing; annotated images; the ``fer`` package's pipeline as a peer.

>>> from emostudy.recognition import EmotionRecognizer
>>> result = EmotionRecognizer().recognize("photo.jpg")   # doctest: +SKIP
>>> result.to_frame()                                      # doctest: +SKIP

It uses ``detectors``, ``faces`` and ``models``; TensorFlow loads only when a Keras engine needs it
(the default engine is ONNX Runtime). Figures of results live in :mod:`emostudy.plots`.
"""

from emostudy.recognition.demo import demo_image
from emostudy.recognition.drawing import (
    EMOTION_COLORS,
    DrawingWarning,
    draw_faces,
    drawing_scale,
    label_layout,
    label_text,
)
from emostudy.recognition.peers import FerPipeline
from emostudy.recognition.recognizer import (
    DEFAULT_DETECTOR,
    DEFAULT_MAX_SIDE,
    OPERATING_THRESHOLDS,
    VIDEO_MAX_SIDE,
    EmotionRecognizer,
)
from emostudy.recognition.results import FaceEmotion, Recognition, faces_frame
from emostudy.recognition.tracking import FaceTracker, Track
from emostudy.recognition.video import (
    VIDEO_SUFFIXES,
    AnnotatedVideoWriter,
    FrameResult,
    VideoError,
    open_video,
    read_frames,
    recognize_video,
    track_summary,
    tracks_table,
    video_info,
)

__all__ = [
    "DEFAULT_DETECTOR",
    "DEFAULT_MAX_SIDE",
    "EMOTION_COLORS",
    "OPERATING_THRESHOLDS",
    "VIDEO_MAX_SIDE",
    "VIDEO_SUFFIXES",
    "AnnotatedVideoWriter",
    "EmotionRecognizer",
    "FaceEmotion",
    "FaceTracker",
    "FerPipeline",
    "FrameResult",
    "Recognition",
    "Track",
    "VideoError",
    "DrawingWarning",
    "demo_image",
    "draw_faces",
    "drawing_scale",
    "faces_frame",
    "label_layout",
    "label_text",
    "open_video",
    "read_frames",
    "recognize_video",
    "track_summary",
    "tracks_table",
    "video_info",
]
