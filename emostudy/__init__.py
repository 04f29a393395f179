"""emostudy: the library behind the executable study book on facial emotion recognition.

The entry points a newcomer needs first are available from the top level and load on first use
(``import emostudy`` stays light: no TensorFlow, no OpenCV)::

    import emostudy
    result = emostudy.EmotionRecognizer().recognize("photo.jpg")

The package is a house of floors, each leaning only on the floors below it (the book's page "The
emostudy library" lists every public name by floor):

0. ``errors``, ``settings``, ``downloads``, ``geometry``, ``imageio``, ``hardware``
1. ``data`` (FER-2013, FER+ votes, CK+, WIDER FACE) and ``nn`` (from-scratch NumPy networks)
2. ``detectors``, ``faces`` (crop, landmarks) and ``evaluation`` (scores, intervals, speed)
3. ``models`` (builders, shipped models, the model input and prediction, engines, export)
4. ``training`` (configuration, pipeline, callbacks, loop, precision, recipes, experiments)
5. ``transfer`` (CK+ cross-validation) and ``recognition`` (the recognizer, tracking, video)
6. ``plots`` (every figure; a leaf)
7. ``book`` (results, the ledger, the notebook runner, the headline model) and ``cli``
"""

from emostudy._lazy import lazy_attributes

__version__ = "0.1.0"

#: Top-level names, loaded lazily from their home module.
_LAZY = {
    "EmotionRecognizer": "emostudy.recognition",
    "recognize_video": "emostudy.recognition",
    "create_detector": "emostudy.detectors",
    "available_detectors": "emostudy.detectors",
    "load_emotion_model": "emostudy.models",
    "predict_emotions": "emostudy.models",
    "load_fer2013": "emostudy.data",
    "load_ckplus": "emostudy.data",
    "cpu_description": "emostudy.hardware",
    "native_precisions": "emostudy.hardware",
    "usable_precision": "emostudy.hardware",
    "data_dir": "emostudy.settings",
    "box_iou": "emostudy.geometry",
    "nms": "emostudy.geometry",
}

__all__ = ["__version__", *_LAZY]


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)
