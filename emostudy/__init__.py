"""emostudy: the library behind the executable study book on facial emotion recognition.

The entry points a user needs first are available from the top level and load on first use
(``import emostudy`` stays light: no TensorFlow, no OpenCV)::

    import emostudy
    result = emostudy.EmotionRecognizer().recognize("photo.jpg")
"""

from importlib import import_module

__version__ = "0.1.0"

#: Top-level names, loaded lazily from their home module.
_LAZY = {
    "EmotionRecognizer": "emostudy.recognition",
    "create_detector": "emostudy.detectors",
    "load_emotion_model": "emostudy.models",
    "predict_emotions": "emostudy.models",
    "load_fer2013": "emostudy.data",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'emostudy' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
