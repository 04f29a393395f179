// The emotion model's input and output, ported once from the Python side:
// emostudy.preprocessing.to_model_input and EmotionRecognizer.classify (flip averaging, softmax).
import { FACE_SIZE } from "./crop.js";

/**
 * `to_model_input` for a batch of crops, followed (when `flip`) by their mirror images, as
 * `classify` builds its batch: float32 NHWC (2N, 48, 48, 1) in [0, 1].
 *
 * @param {Uint8Array[]} crops  grayscale FACE_SIZE x FACE_SIZE faces
 */
export function modelInput(crops, flip) {
  const pixels = FACE_SIZE * FACE_SIZE;
  const n = crops.length;
  const x = new Float32Array((flip ? 2 : 1) * n * pixels);
  crops.forEach((crop, i) => {
    for (let p = 0; p < pixels; p += 1) x[i * pixels + p] = crop[p] / 255;
    if (flip) {
      const base = (n + i) * pixels;
      for (let r = 0; r < FACE_SIZE; r += 1) {
        for (let c = 0; c < FACE_SIZE; c += 1) {
          x[base + r * FACE_SIZE + c] = crop[r * FACE_SIZE + (FACE_SIZE - 1 - c)] / 255;
        }
      }
    }
  });
  return x;
}

/**
 * Probabilities from the model's logits (N or 2N rows of `classes` values): the mean of each
 * face's and its mirror's logits (float32, as numpy adds them), then a float64 softmax.
 */
export function probabilities(logits, n, classes, flip) {
  const f = Math.fround;
  const out = [];
  for (let i = 0; i < n; i += 1) {
    const row = [];
    for (let k = 0; k < classes; k += 1) {
      const a = logits[i * classes + k];
      row.push(flip ? f(f(a + logits[(n + i) * classes + k]) / 2) : a);
    }
    const top = Math.max(...row);
    const e = row.map((v) => Math.exp(v - top));
    const total = e.reduce((s, v) => s + v, 0);
    out.push(e.map((v) => v / total));
  }
  return out;
}
