"""Emotion models (floor 3): builders and layers, the shipped models and their cards, the model
input (face size, scaling, softmax, test-time averaging), inference engines and export, cost,
inspection, and the peers measured beside ours.

>>> from emostudy.models import load_emotion_model, predict_emotions
>>> probabilities = predict_emotions(faces)  # uint8 (N, 48, 48) -> (N, 7)   # doctest: +SKIP

It builds on ``data`` (the class order and the face size) and the floor-0 modules; TensorFlow,
ONNX Runtime and tf2onnx load only inside the functions that need them.
"""

from emostudy._lazy import lazy_attributes
from emostudy.models.builders import ARCHITECTURES, FACE_SHAPE, build_cnn, build_mlp, build_model
from emostudy.models.cost import macs_per_image
from emostudy.models.engines import (
    ENGINES,
    Engine,
    KerasEngine,
    OnnxEngine,
    TFLiteEngine,
    create_engine,
    load_keras_file,
    shipped_onnx_path,
)
from emostudy.models.export import PARITY_TOLERANCE, export_onnx, export_tflite, parity
from emostudy.models.inputs import (
    LOW_INFORMATION_STD,
    TTA_PASSES,
    low_information,
    predict_ensemble_logits,
    predict_logits,
    predict_logits_by_tta,
    shift_images,
    softmax,
    to_model_input,
)
from emostudy.models.inspection import (
    feature_maps,
    feature_model,
    first_layer_filters,
    keras_conv2d,
    keras_pool2d,
    layer_table,
    measured_receptive_field,
    nearest_kernels,
)
from emostudy.models.logs import read_training_log
from emostudy.models.peers import FER_PACKAGE_CLASSES, fer_package_predict
from emostudy.models.pretrained import (
    DEFAULT_EMOTION_MODEL,
    LowInformationFaceWarning,
    classes_for_outputs,
    load_emotion_model,
    model_card,
    model_classes,
    model_path,
    predict_emotions,
    shipped_models,
    training_log,
)

#: Keras layers, loaded (with Keras) on first use: ``import emostudy.models`` stays light.
_LAZY = {
    name: "emostudy.models.layers"
    for name in ("FusedBatchNormalization", "RandomFaceCrop", "RandomPatchErasing")
}


__all__ = [
    "ARCHITECTURES",
    "DEFAULT_EMOTION_MODEL",
    "ENGINES",
    "FACE_SHAPE",
    "FER_PACKAGE_CLASSES",
    "LOW_INFORMATION_STD",
    "PARITY_TOLERANCE",
    "TTA_PASSES",
    "Engine",
    "FusedBatchNormalization",
    "KerasEngine",
    "LowInformationFaceWarning",
    "OnnxEngine",
    "RandomFaceCrop",
    "RandomPatchErasing",
    "TFLiteEngine",
    "build_cnn",
    "classes_for_outputs",
    "build_mlp",
    "build_model",
    "create_engine",
    "export_onnx",
    "export_tflite",
    "feature_maps",
    "feature_model",
    "fer_package_predict",
    "first_layer_filters",
    "keras_conv2d",
    "keras_pool2d",
    "layer_table",
    "load_emotion_model",
    "load_keras_file",
    "low_information",
    "macs_per_image",
    "measured_receptive_field",
    "model_card",
    "model_classes",
    "model_path",
    "nearest_kernels",
    "parity",
    "predict_emotions",
    "predict_ensemble_logits",
    "predict_logits",
    "predict_logits_by_tta",
    "read_training_log",
    "shift_images",
    "shipped_models",
    "shipped_onnx_path",
    "softmax",
    "to_model_input",
    "training_log",
]

__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)
