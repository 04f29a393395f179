"""The peer pipeline measured beside ours: the ``fer`` package's ``FER().detect_emotions``.

``fer`` (install with ``pip install --no-deps fer``) finds faces with OpenCV's Haar cascade and
classifies them with its mini-Xception; it is the one-call pipeline most people reach for.
:class:`FerPipeline` runs it with the package's defaults and returns its answers as
:class:`~emostudy.recognition.FaceEmotion` objects, so both pipelines are scored by the same code.
"""

from __future__ import annotations

import numpy as np

from emostudy._quiet import import_tensorflow, native_stderr_silenced, python_output_silenced
from emostudy.data.classes import FER_CLASSES
from emostudy.errors import ModelNotFoundError
from emostudy.imageio import as_bgr
from emostudy.recognition.results import FaceEmotion


class FerPipeline:
    """``fer.FER()`` (Haar cascade + mini-Xception, the package defaults) behind our interface.

    Calling it on a BGR image returns one :class:`FaceEmotion` per face ``fer`` reports, with its
    seven probabilities in FER-2013 order (the package rounds them to two decimals) and score 1
    (the cascade gives none).
    """

    name = "fer package (Haar + mini-Xception)"

    def __init__(self) -> None:
        try:
            # TensorFlow first, through the library's quiet import: the fer package imports it,
            # and its native start-up lines (absl, cudart) would otherwise reach stderr.
            import_tensorflow()
            with python_output_silenced("fer"), native_stderr_silenced():
                from fer.fer import FER

                self._fer = FER()
        except ImportError:
            raise ModelNotFoundError(
                "The fer package is not installed: pip install --no-deps fer==25.10.3"
            ) from None

    def __call__(self, image, color_order: str = "bgr") -> list[FaceEmotion]:
        bgr = as_bgr(image, color_order)
        with python_output_silenced("fer"):
            found = self._fer.detect_emotions(bgr)
        faces = []
        for entry in found:
            x, y, w, h = (float(v) for v in entry["box"])
            p = np.array([entry["emotions"][c] for c in FER_CLASSES], dtype=np.float64)
            faces.append(FaceEmotion(box=(x, y, w, h), score=1.0, probabilities=p))
        return faces
