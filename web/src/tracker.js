// Faces followed across camera frames: emostudy.recognition.tracking.FaceTracker, simplified.
//
// The same rule for continuing a track (box overlap >= iouThreshold), for ending one (more than
// maxMissed frames unseen) and the same smoothing p = s * p_prev + (1 - s) * q; one
// simplification: faces are matched to tracks greedily, largest overlap first, where Python
// solves the assignment exactly (Hungarian algorithm). With the one or few well separated faces
// of a camera frame the two agree.
import { boxIoU } from "./retinaface.js";

export class FaceTracker {
  constructor({ iouThreshold = 0.3, maxMissed = 5, smoothing = 0.7 } = {}) {
    this.iouThreshold = iouThreshold;
    this.maxMissed = maxMissed;
    this.smoothing = smoothing;
    this.tracks = [];
    this.nextId = 0;
  }

  /** Match one frame's faces ({box, probabilities}) to tracks; returns copies with `trackId`
   * and smoothed `probabilities` (the frame's own kept as `rawProbabilities`). */
  update(faces) {
    const pairs = [];
    faces.forEach((face, i) => {
      this.tracks.forEach((track, j) => {
        const overlap = boxIoU(face.box, track.box);
        if (overlap >= this.iouThreshold) pairs.push([overlap, i, j]);
      });
    });
    pairs.sort((a, b) => b[0] - a[0]);
    const faceTrack = new Map();
    const taken = new Set();
    for (const [, i, j] of pairs) {
      if (faceTrack.has(i) || taken.has(j)) continue;
      faceTrack.set(i, this.tracks[j]);
      taken.add(j);
    }
    const seen = new Set();
    const out = faces.map((face, i) => {
      let track = faceTrack.get(i);
      if (!track) {
        track = { id: this.nextId++, box: face.box, probabilities: [...face.probabilities], missed: 0 };
        this.tracks.push(track);
      } else {
        const s = this.smoothing;
        track.probabilities = track.probabilities.map((p, k) => s * p + (1 - s) * face.probabilities[k]);
      }
      track.box = face.box;
      track.missed = 0;
      seen.add(track);
      return {
        ...face,
        trackId: track.id,
        rawProbabilities: face.probabilities,
        probabilities: [...track.probabilities],
      };
    });
    for (const track of this.tracks) if (!seen.has(track)) track.missed += 1;
    this.tracks = this.tracks.filter((track) => track.missed <= this.maxMissed);
    return out;
  }
}
