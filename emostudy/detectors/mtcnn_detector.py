"""MTCNN: a cascade of three small CNNs over an image pyramid (the ``mtcnn`` package, TensorFlow).

Zhang et al. (2016): P-Net (a 12x12 fully convolutional net) proposes windows at every pyramid
scale, R-Net (24x24) rejects most of them and refines the boxes, O-Net (48x48) gives the final
boxes, scores and five landmarks. Non-maximum suppression runs after each stage.

The package's NMS builds a dense ``N x N`` IoU matrix, so the number of candidate windows decides
the memory: with a threshold near 0 every window of every pyramid scale passes (tens of thousands
for one photo, tens of GB). Here P-Net's NMS compares blocks of windows (same result, memory
linear in their number), and each stage hands on at most a fixed number of candidates, the
best-scored ones (:data:`MAX_CANDIDATES`, :data:`MAX_ONET_CANDIDATES`).
"""

from __future__ import annotations

import os

import cv2
import numpy as np

from emostudy._quiet import native_stderr_silenced
from emostudy._validation import check_int, check_number, check_numbers
from emostudy.detectors.base import DEFAULT_MAX_SIDE, Face, FaceDetector, make_face
from emostudy.errors import InvalidInputError

#: Most candidate windows P-Net hands on to R-Net (the best-scored ones). The crowded WIDER FACE
#: images stay below it at the default thresholds; it bounds memory when thresholds are near 0.
MAX_CANDIDATES = 2000
#: Most candidates R-Net hands on to O-Net (O-Net's activations take about 0.6 MB per window).
MAX_ONET_CANDIDATES = 500


class MTCNNDetector(FaceDetector):
    """The ``mtcnn`` package's MTCNN (weights bundled with the package; TensorFlow on the CPU).

    Parameters
    ----------
    min_face_size
        Smallest face searched for, in pixels (default 20): sets the first pyramid scale
        ``12 / min_face_size``.
    scale_factor
        Ratio between two pyramid scales (default 0.709, i.e. the area halves).
    thresholds
        Score thresholds of P-Net, R-Net and O-Net, each in [0, 1] (default 0.6, 0.7, 0.8): a
        window must pass all three.
    nms_thresholds
        IoU thresholds of non-maximum suppression, each in (0, 1]: P-Net within a scale, P-Net
        across scales, R-Net, O-Net (defaults 0.5, 0.7, 0.7, 0.7).
    """

    name = "mtcnn"
    score_range = (0.0, 1.0)
    description = "MTCNN: P-Net, R-Net, O-Net cascade (mtcnn package)"

    def __init__(
        self,
        *,
        min_face_size: int = 20,
        scale_factor: float = 0.709,
        thresholds: tuple[float, float, float] = (0.6, 0.7, 0.8),
        nms_thresholds: tuple[float, float, float, float] = (0.5, 0.7, 0.7, 0.7),
        max_side: int | None = DEFAULT_MAX_SIDE,
    ) -> None:
        super().__init__(max_side=max_side)
        scale_factor = check_number(
            "scale_factor", scale_factor, low=0.0, high=1.0, low_open=True, high_open=True
        )
        min_face_size = check_int("min_face_size", min_face_size, minimum=12)
        thresholds = check_numbers(
            "thresholds", thresholds, 3, example="(0.6, 0.7, 0.8)", low=0.0, high=1.0
        )
        nms_thresholds = check_numbers(
            "nms_thresholds",
            nms_thresholds,
            4,
            example="(0.5, 0.7, 0.7, 0.7)",
            low=0.0,
            high=1.0,
            low_open=True,
        )
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        with native_stderr_silenced():  # TensorFlow's C++ start-up notices
            from mtcnn import MTCNN

            self._mtcnn = MTCNN(stages=_bounded_stages(), device="CPU:0")
            self._mtcnn.detect_faces(np.zeros((48, 48, 3), np.uint8))  # initialises the device
        self._set_settings(
            min_face_size=int(min_face_size),
            scale_factor=float(scale_factor),
            thresholds=tuple(float(t) for t in thresholds),
            nms_thresholds=tuple(float(t) for t in nms_thresholds),
        )

    def pyramid_scales(self, width: int, height: int) -> np.ndarray:
        """The image scales P-Net runs at for a ``width x height`` image (the package's rule).

        The first scale maps a ``min_face_size`` face to P-Net's 12x12 window; each next one is
        ``scale_factor`` times smaller, down to where the image is about 12 pixels.
        """
        from mtcnn.utils.images import build_scale_pyramid

        s = self._settings
        return np.asarray(
            build_scale_pyramid(int(width), int(height), s["min_face_size"], s["scale_factor"])
        )

    def stage_boxes(self, image, color_order: str = "bgr") -> dict[str, np.ndarray]:
        """The candidate boxes after each stage: ``{"P-Net": (N, 5), "R-Net": ..., "O-Net": ...}``.

        Rows are ``x, y, w, h, score`` in input-image pixels (``max_side`` is ignored). P-Net's
        candidates are after its two rounds of NMS, R-Net's and O-Net's after theirs.
        """
        from mtcnn.utils.images import load_images_batch, standarize_batch

        from emostudy.imageio import as_bgr

        rgb = cv2.cvtColor(as_bgr(image, color_order), cv2.COLOR_BGR2RGB)
        kwargs = self._package_settings()
        images, shapes, _ = standarize_batch(
            load_images_batch([rgb]), justification="center", normalize=True
        )
        out, boxes = {}, None
        for name, stage in zip(("P-Net", "R-Net", "O-Net"), self._mtcnn.stages, strict=True):
            try:
                boxes = stage(
                    bboxes_batch=boxes, images_normalized=images, images_oshapes=shapes, **kwargs
                )
            except Exception:  # the package raises when a stage receives no candidate
                boxes = np.zeros((0, 6))
            rows = np.asarray(boxes, dtype=np.float64)
            rows = rows.reshape(len(rows), -1) if rows.size else np.zeros((0, 6))
            out[name] = np.c_[rows[:, 1:3], rows[:, 3:5] - rows[:, 1:3], rows[:, 5]]
            if len(rows) == 0:
                for rest in ("R-Net", "O-Net")[len(out) - 1 :]:
                    out.setdefault(rest, np.zeros((0, 5)))
                break
        return out

    def _package_settings(self) -> dict:
        """Our tunables as the ``mtcnn`` package's keyword arguments."""
        s = self._settings
        t1, t2, t3 = s["thresholds"]
        n1, n2, n3, n4 = s["nms_thresholds"]
        return dict(
            min_face_size=s["min_face_size"],
            scale_factor=s["scale_factor"],
            threshold_pnet=t1,
            threshold_rnet=t2,
            threshold_onet=t3,
            nms_pnet1=n1,
            nms_pnet2=n2,
            nms_rnet=n3,
            nms_onet=n4,
        )

    def _detect(self, bgr: np.ndarray) -> list[Face]:
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        rows = self._mtcnn.detect_faces(
            rgb, box_format="xyxy", output_type="numpy", **self._package_settings()
        )
        rows = np.asarray(rows, dtype=np.float64).reshape(-1, 16)
        # columns: image id, x1, y1, x2, y2, score, then the five landmarks' x, then their y
        # (left eye, right eye, nose, mouth left, mouth right)
        return [
            make_face(r[1], r[2], r[3] - r[1], r[4] - r[2], r[5], np.c_[r[6:11], r[11:16]])
            for r in rows
        ]


def package_nms(boxes: np.ndarray, threshold: float, *, sort: bool) -> np.ndarray:
    """The ``mtcnn`` package's NMS of one image, in memory linear in the number of boxes.

    Same rule and result as ``mtcnn.utils.bboxes.smart_nms_from_bboxes(method="union")``: rows
    ``[image_id, x1, y1, x2, y2, score, ...]`` (sorted by score first when ``sort``); a row is
    kept when no earlier row, kept or not, overlaps it with IoU above ``threshold``. The package
    builds the whole ``N x N`` IoU matrix; this compares blocks of rows instead.
    """
    if sort:
        boxes = boxes[np.argsort(boxes[:, 5])[::-1]]
    n = len(boxes)
    x1, y1, x2, y2 = (boxes[:, k] for k in range(1, 5))
    area = (x2 - x1) * (y2 - y1)
    keep = np.ones(n, dtype=bool)
    block = 256
    for start in range(0, n, block):
        stop = min(n, start + block)
        cols = slice(start, stop)
        inter = np.maximum(
            0,
            np.minimum(x2[:stop, None], x2[None, cols])
            - np.maximum(x1[:stop, None], x1[None, cols]),
        ) * np.maximum(
            0,
            np.minimum(y2[:stop, None], y2[None, cols])
            - np.maximum(y1[:stop, None], y1[None, cols]),
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            iou = inter / (area[:stop, None] + area[None, cols] - inter)
        earlier = np.arange(stop)[:, None] < np.arange(start, stop)[None, :]
        keep[cols] = ~((iou > threshold) & earlier).any(axis=0)
    return boxes[keep]


def _best(boxes: np.ndarray, limit: int) -> np.ndarray:
    """At most ``limit`` rows, the best-scored (column 5), in their original order."""
    if len(boxes) <= limit:
        return boxes
    return boxes[np.sort(np.argsort(-boxes[:, 5], kind="stable")[:limit])]


def _bounded_stages() -> list[type]:
    """The ``mtcnn`` package's P-Net, R-Net and O-Net stages, with bounded hand-offs.

    P-Net's ``__call__`` is the package's (``mtcnn.stages.stage_pnet``, MIT licence) with its two
    rounds of NMS done by :func:`package_nms` (same result, linear memory); it hands on at most
    :data:`MAX_CANDIDATES` windows, and R-Net at most :data:`MAX_ONET_CANDIDATES`.
    """
    from mtcnn.stages import StageONet, StagePNet, StageRNet
    from mtcnn.utils.bboxes import generate_bounding_box, resize_to_square, upscale_bboxes
    from mtcnn.utils.images import apply_scales, build_scale_pyramid

    class BoundedPNet(StagePNet):
        def __call__(
            self,
            images_normalized,
            images_oshapes,
            min_face_size=20,
            min_size=12,
            scale_factor=0.709,
            threshold_pnet=0.6,
            nms_pnet1=0.5,
            nms_pnet2=0.7,
            **kwargs,
        ):
            if images_normalized.shape[0] != 1:
                raise InvalidInputError("The bounded MTCNN stages take one image at a time.")
            groups = [
                build_scale_pyramid(shape[1], shape[0], min_face_size, scale_factor)
                for shape in images_oshapes
            ]
            scaled, scales_index = apply_scales(images_normalized, groups)
            per_scale = []
            for image, scale in zip(scaled, scales_index, strict=True):
                reg, score = self._model(image)
                boxes = upscale_bboxes(
                    generate_bounding_box(reg, score, threshold_pnet), np.asarray([scale])
                )
                per_scale.append(package_nms(boxes, nms_pnet1, sort=False))
            boxes = np.concatenate(per_scale, axis=0) if per_scale else np.empty((0, 6))
            boxes = package_nms(boxes, nms_pnet2, sort=True)
            return resize_to_square(_best(boxes, MAX_CANDIDATES))

    class BoundedRNet(StageRNet):
        def __call__(self, *args, **kwargs):
            return _best(super().__call__(*args, **kwargs), MAX_ONET_CANDIDATES)

    return [BoundedPNet, BoundedRNet, StageONet]
