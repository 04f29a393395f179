"""The recognizer: detector + FER-style crop + emotion model → per-face results; video tracking
and smoothing; drawing; export of the model to ONNX and TFLite.

>>> from emostudy.recognition import EmotionRecognizer
>>> result = EmotionRecognizer().recognize("photo.jpg")   # doctest: +SKIP
>>> result.to_frame()                                      # doctest: +SKIP

Floor 5 of the house plan: it uses ``detectors``, ``faces`` and ``models``; TensorFlow loads only
when a Keras engine or an export needs it (the default engine is ONNX Runtime).
"""

from emostudy.recognition.demo import demo_image
from emostudy.recognition.drawing import EMOTION_COLORS, draw_faces, plot_track, show_recognition
from emostudy.recognition.engines import (
    ENGINES,
    KerasEngine,
    OnnxEngine,
    TFLiteEngine,
    create_engine,
)
from emostudy.recognition.export import PARITY_TOLERANCE, export_onnx, export_tflite, parity
from emostudy.recognition.peers import FerPipeline
from emostudy.recognition.recognizer import (
    DEFAULT_DETECTOR,
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
    "EMOTION_COLORS",
    "ENGINES",
    "OPERATING_THRESHOLDS",
    "PARITY_TOLERANCE",
    "VIDEO_MAX_SIDE",
    "VIDEO_SUFFIXES",
    "AnnotatedVideoWriter",
    "EmotionRecognizer",
    "FaceEmotion",
    "FaceTracker",
    "FerPipeline",
    "FrameResult",
    "KerasEngine",
    "OnnxEngine",
    "Recognition",
    "TFLiteEngine",
    "Track",
    "VideoError",
    "create_engine",
    "demo_image",
    "draw_faces",
    "export_onnx",
    "export_tflite",
    "faces_frame",
    "open_video",
    "parity",
    "plot_track",
    "read_frames",
    "recognize_video",
    "show_recognition",
    "track_summary",
    "tracks_table",
    "video_info",
]
