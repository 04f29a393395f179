"""MTCNN: a cascade of three small CNNs over an image pyramid (the ``mtcnn`` package, TensorFlow).

Zhang et al. (2016): P-Net (a 12x12 fully convolutional net) proposes windows at every pyramid
scale, R-Net (24x24) rejects most of them and refines the boxes, O-Net (48x48) gives the final
boxes, scores and five landmarks. Non-maximum suppression runs after each stage.
"""

from __future__ import annotations

import os

import cv2
import numpy as np

from emostudy.detectors._quiet import native_stderr_silenced
from emostudy.detectors.base import Face, FaceDetector, make_face
from emostudy.errors import InvalidInputError


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
        Score thresholds of P-Net, R-Net and O-Net (default 0.6, 0.7, 0.8): a window must pass all
        three.
    nms_thresholds
        IoU thresholds of non-maximum suppression: P-Net within a scale, P-Net across scales,
        R-Net, O-Net (defaults 0.5, 0.7, 0.7, 0.7).
    """

    name = "mtcnn"
    description = "MTCNN: P-Net, R-Net, O-Net cascade (mtcnn package)"

    def __init__(
        self,
        *,
        min_face_size: int = 20,
        scale_factor: float = 0.709,
        thresholds: tuple[float, float, float] = (0.6, 0.7, 0.8),
        nms_thresholds: tuple[float, float, float, float] = (0.5, 0.7, 0.7, 0.7),
        max_side: int | None = None,
    ) -> None:
        super().__init__(max_side=max_side)
        if not 0.0 < scale_factor < 1.0:
            raise InvalidInputError(f"scale_factor must be in (0, 1), got {scale_factor}.")
        if int(min_face_size) < 12:
            raise InvalidInputError(f"min_face_size must be >= 12 pixels, got {min_face_size}.")
        if len(thresholds) != 3 or len(nms_thresholds) != 4:
            raise InvalidInputError("thresholds needs 3 values and nms_thresholds 4.")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        with native_stderr_silenced():  # TensorFlow's C++ start-up notices
            from mtcnn import MTCNN

            self._mtcnn = MTCNN(stages="face_and_landmarks_detection", device="CPU:0")
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

    def stage_boxes(self, image, color: str = "bgr") -> dict[str, np.ndarray]:
        """The candidate boxes after each stage: ``{"P-Net": (N, 5), "R-Net": ..., "O-Net": ...}``.

        Rows are ``x, y, w, h, score`` in input-image pixels (``max_side`` is ignored). P-Net's
        candidates are after its two rounds of NMS, R-Net's and O-Net's after theirs.
        """
        from mtcnn.utils.images import load_images_batch, standarize_batch

        from emostudy.detectors.base import as_bgr

        rgb = cv2.cvtColor(as_bgr(image, color), cv2.COLOR_BGR2RGB)
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
