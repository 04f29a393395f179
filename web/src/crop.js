// The FER-style face crop: emostudy.faces.crop.crop_face, ported once.
import { resizeArea, warpAffineGray } from "./imageops.js";

/** Side of the square grayscale face every emotion model takes (emostudy FACE_SIZE). */
export const FACE_SIZE = 48;
// Largest intermediate crop side as a multiple of FACE_SIZE (crop.py _MAX_INTERMEDIATE).
const MAX_INTERMEDIATE = 4;

/** `eye_line_angle`: angle of the eye line in degrees from 5-point landmarks (eyes first). */
export function eyeLineAngle(landmarks) {
  if (!landmarks || landmarks.length < 5) return 0;
  let [first, second] = landmarks;
  if (first[0] > second[0]) [first, second] = [second, first];
  const dx = second[0] - first[0];
  const dy = second[1] - first[1];
  if (!Number.isFinite(dx) || !Number.isFinite(dy) || dx <= 0) return 0;
  return (Math.atan2(dy, dx) * 180) / Math.PI;
}

/**
 * `crop_face(gray, box, landmarks, spec=spec)`: one face as a uint8 grayscale FACE_SIZE square.
 *
 * @param {{width:number,height:number,data:Uint8Array}} gray  the whole image, grayscale
 * @param {number[]} box  [x, y, w, h] in image pixels
 * @param {number[][]|null} landmarks  [[x, y], ...] in image pixels (used when spec.align)
 * @param {{margin:number, square:boolean, align:boolean, shift:number}} spec  the CropSpec
 */
export function cropFace(gray, box, landmarks, spec, size = FACE_SIZE) {
  const [x, y, w, h] = box;
  if (![x, y, w, h].every(Number.isFinite) || w <= 0 || h <= 0) {
    throw new Error(`A face box needs finite x, y and w, h > 0, got ${box}`);
  }
  const cx = x + w / 2;
  const cy = y + h / 2 + spec.shift * h;
  let width = spec.square ? Math.max(w, h) : w;
  let height = spec.square ? Math.max(w, h) : h;
  width *= 1 + 2 * spec.margin;
  height *= 1 + 2 * spec.margin;
  const angle = spec.align ? eyeLineAngle(landmarks) : 0;
  const scale = Math.min(1, (MAX_INTERMEDIATE * size) / Math.max(width, height));
  const outW = Math.max(size, pyRound(width * scale));
  const outH = Math.max(size, pyRound(height * scale));
  const scaleX = outW / width;
  const scaleY = outH / height;
  const theta = (angle * Math.PI) / 180;
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  const a = [cos / scaleX, -sin / scaleY, sin / scaleX, cos / scaleY];
  const ox = (outW - 1) / 2;
  const oy = (outH - 1) / 2;
  const tx = cx - 0.5 - (a[0] * ox + a[1] * oy);
  const ty = cy - 0.5 - (a[2] * ox + a[3] * oy);
  let crop = warpAffineGray(gray, [a[0], a[1], tx, a[2], a[3], ty], outW, outH);
  if (outW !== size || outH !== size) crop = resizeArea(crop, size, size);
  return crop.data;
}

/** Python's round(): half to even. */
function pyRound(v) {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
