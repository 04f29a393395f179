"""OpenCV's ResNet-10 SSD face detector (Caffe), the original study's "DNN" detector.

Liu et al. (2016), SSD: one pass of a convolutional net predicts, for a fixed set of anchor
("default") boxes on several feature maps, a class score and four box offsets; non-maximum
suppression then keeps the best box of each overlapping group. This model has a reduced ResNet-10
backbone and takes a 300x300 input. Its weights are not in any Python package: they are fetched
(SHA-256 checked) by :func:`emostudy.downloads.fetch_model`.
"""

from __future__ import annotations

import cv2
import numpy as np

from emostudy._validation import check_probability, check_size
from emostudy.detectors.base import DEFAULT_MAX_SIDE, Face, FaceDetector, make_face
from emostudy.downloads import fetch_model

PROTOTXT = "res10_deploy.prototxt"
WEIGHTS = "res10_300x300_ssd_iter_140000.caffemodel"
#: Per-channel BGR means subtracted by the model's training pipeline (OpenCV sample).
MEAN_BGR = (104.0, 177.0, 123.0)


class SSDDetector(FaceDetector):
    """ResNet-10 SSD through ``cv2.dnn`` (Caffe importer; needs OpenCV 4.x).

    Parameters
    ----------
    confidence_threshold
        Detections with a lower face probability are dropped (0.5 in OpenCV's sample).
    input_size
        ``(width, height)`` the image is resized to (300x300, the training size; the aspect ratio
        is not kept, as in OpenCV's sample).
    """

    name = "ssd"
    score_range = (0.0, 1.0)
    description = "ResNet-10 SSD (OpenCV dnn face detector, Caffe)"

    def __init__(
        self,
        *,
        confidence_threshold: float = 0.5,
        input_size: tuple[int, int] = (300, 300),
        max_side: int | None = DEFAULT_MAX_SIDE,
    ) -> None:
        super().__init__(max_side=max_side)
        confidence_threshold = check_probability("confidence_threshold", confidence_threshold)
        input_size = check_size("input_size", input_size, minimum=32, maximum=4096)
        self._net = cv2.dnn.readNetFromCaffe(str(fetch_model(PROTOTXT)), str(fetch_model(WEIGHTS)))
        self._set_settings(
            confidence_threshold=float(confidence_threshold),
            input_size=tuple(int(v) for v in input_size),
        )

    def _detect(self, bgr: np.ndarray) -> list[Face]:
        h, w = bgr.shape[:2]
        blob = cv2.dnn.blobFromImage(bgr, 1.0, self._settings["input_size"], MEAN_BGR)
        self._net.setInput(blob)
        out = self._net.forward().reshape(-1, 7)  # image id, class, score, x1, y1, x2, y2
        out = out[out[:, 2] >= self._settings["confidence_threshold"]]
        faces = []
        for _, _, score, x1, y1, x2, y2 in out:
            x1, x2 = np.clip([x1 * w, x2 * w], 0, w)
            y1, y2 = np.clip([y1 * h, y2 * h], 0, h)
            if x2 > x1 and y2 > y1:
                faces.append(make_face(x1, y1, x2 - x1, y2 - y1, score))
        return faces


def prior_box_layers(prototxt: str | None = None) -> list[dict]:
    """The SSD's anchor ("prior box") layers, read from its Caffe prototxt.

    Returns one dict per ``PriorBox`` layer, in network order: ``name``, ``feature_map`` (the
    layer it sits on), ``min_size`` and ``max_size`` (anchor sides in pixels of the 300x300 input),
    ``aspect_ratios`` (besides 1) and ``step`` (pixels between anchor centres).
    """
    import re
    from pathlib import Path

    text = Path(prototxt or fetch_model(PROTOTXT)).read_text()
    layers = []
    for block in re.split(r"\blayer\s*\{", text)[1:]:
        if not re.search(r'type:\s*"PriorBox"', block):
            continue

        def values(key, block=block):
            return [float(v) for v in re.findall(rf"\b{key}:\s*([-\d.]+)", block)]

        bottoms = re.findall(r'bottom:\s*"([^"]+)"', block)
        steps = values("step")
        layers.append(
            {
                "name": re.search(r'name:\s*"([^"]+)"', block).group(1),
                "feature_map": bottoms[0] if bottoms else "",
                "min_size": values("min_size")[0],
                "max_size": (values("max_size") or [float("nan")])[0],
                "aspect_ratios": values("aspect_ratio"),
                "step": steps[0] if steps else float("nan"),
            }
        )
    return layers
