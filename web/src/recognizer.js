// The recognizer in the browser: RetinaFace + the FER-style crop + the emotion model, run with
// ONNX Runtime Web (WebAssembly). Every number it needs (thresholds, crop, classes, colours,
// file names) comes from manifest.json, which the book build writes from the Python library.
import * as ort from "./ort/ort.wasm.min.mjs";
import { rgbaToBgr, bgrToGray } from "./imageops.js";
import { detectorImage, detectorInput, priorBoxes, decodeFaces, nms, toImageFaces } from "./retinaface.js";
import { cropFace } from "./crop.js";

const HERE = new URL("./", import.meta.url);

/** The smallest WebAssembly module using a SIMD instruction (as wasm-feature-detect's probe). */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253,
  15, 253, 98, 11,
]);

/** Whether this browser runs WebAssembly with SIMD (ONNX Runtime Web needs both). */
export function hasWasmSimd() {
  try {
    return typeof WebAssembly === "object" && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

export async function loadManifest() {
  const response = await fetch(new URL("manifest.json", HERE));
  if (!response.ok) throw new Error(`manifest.json: HTTP ${response.status}`);
  return response.json();
}

/** The emotion model running in a Web Worker (emotion_worker.js), called with promises. */
class EmotionWorker {
  constructor() {
    this.worker = new Worker(new URL("emotion_worker.js", HERE), { type: "module" });
    this.waiting = new Map();
    this.next = 0;
    this.worker.onmessage = ({ data }) => {
      const call = this.waiting.get(data.id);
      this.waiting.delete(data.id);
      if (data.error) call.reject(new Error(data.error));
      else call.resolve(data);
    };
    this.worker.onerror = (event) => {
      event.preventDefault();
      for (const call of this.waiting.values()) call.reject(new Error(event.message));
      this.waiting.clear();
    };
  }

  call(message, transfer = []) {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, ...message }, transfer);
    });
  }
}

const fetchBytes = async (path) => {
  const response = await fetch(new URL(path, HERE));
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.arrayBuffer();
};

/** The runtime's WebAssembly binary, fetched once for both threads. */
const WASM_FILE = "ort/ort-wasm-simd-threaded.wasm";

export class Recognizer {
  /** Load the runtime and both models (from this folder of the site, never from elsewhere):
   * the detector in this thread, the emotion model in a worker. */
  static async load(manifest) {
    ort.env.wasm.wasmPaths = new URL("ort/", HERE).href;
    ort.env.wasm.numThreads = 1; // threads need cross-origin isolation, which static hosts lack
    ort.env.logLevel = "error";
    const options = { executionProviders: ["wasm"], graphOptimizationLevel: "all" };
    const [wasm, detectorBytes, emotionBytes] = await Promise.all([
      fetchBytes(WASM_FILE),
      fetchBytes(`models/${manifest.detector.file}`),
      fetchBytes(`models/${manifest.emotion.file}`),
    ]);
    const workerWasm = wasm.slice(0);
    ort.env.wasm.wasmBinary = wasm;
    const emotion = new EmotionWorker();
    const [detector] = await Promise.all([
      ort.InferenceSession.create(new Uint8Array(detectorBytes), options),
      emotion.call(
        { type: "load", bytes: emotionBytes, wasm: workerWasm, emotion: manifest.emotion },
        [emotionBytes, workerWasm],
      ),
    ]);
    return new Recognizer(manifest, detector, emotion);
  }

  constructor(manifest, detector, emotion) {
    this.manifest = manifest;
    this.detector = detector;
    this.emotion = emotion;
    this.classes = manifest.emotion.classes;
    this.priors = new Map();
  }

  /** Faces in a BGR image ({width, height, channels: 3, data}), best first, in its pixels. */
  async detect(bgr, maxSide) {
    const d = this.manifest.detector;
    const prepared = detectorImage(bgr, maxSide);
    if (prepared === null) return [];
    const { image, factor } = prepared;
    const input = new ort.Tensor("float32", detectorInput(image), [1, 3, image.height, image.width]);
    const out = await this.detector.run({ [d.input]: input });
    const key = `${image.width}x${image.height}`;
    if (!this.priors.has(key)) this.priors.set(key, priorBoxes(image.width, image.height));
    const candidates = decodeFaces(
      out.loc.data, out.conf.data, out.landmarks.data, this.priors.get(key),
      image.width, image.height, d.score_threshold, d.top_k,
    );
    for (const tensor of Object.values(out)) tensor.dispose?.();
    const kept = nms(candidates, d.nms_threshold);
    return toImageFaces(kept, factor, bgr.width, bgr.height, d.min_score);
  }

  /** uint8 48x48 grayscale crops of `faces` from the whole image. */
  crop(bgr, faces) {
    const gray = bgrToGray(bgr);
    return faces.map((face) => cropFace(gray, face.box, face.landmarks, this.manifest.crop));
  }

  /** Probabilities (one array of class values per crop, flip-averaged as in Python) and the
   * milliseconds the model took, from the worker. */
  async classify(crops) {
    if (crops.length === 0) return { probabilities: [], ms: 0 };
    const buffers = crops.map((crop) => crop.slice().buffer); // moved to the worker, not copied
    return this.emotion.call({ type: "classify", crops: buffers }, buffers);
  }

  /** Detection and crops of one frame (RGBA pixels of a canvas), timed. */
  async findFaces(rgba, width, height, maxSide) {
    const t0 = performance.now();
    const bgr = rgbaToBgr(rgba, width, height);
    const faces = await this.detect(bgr, maxSide ?? this.manifest.detector.max_side);
    const t1 = performance.now();
    const crops = this.crop(bgr, faces);
    const t2 = performance.now();
    return { faces, crops, timings: { detect: t1 - t0, crop: t2 - t1 } };
  }

  /** Faces of `findFaces` with their probabilities, and the model's milliseconds added. */
  async labelFaces({ faces, crops, timings }) {
    const { probabilities, ms } = await this.classify(crops);
    return {
      faces: faces.map((face, i) => ({ ...face, probabilities: probabilities[i] })),
      timings: { ...timings, classify: ms },
    };
  }

  /**
   * The whole pipeline on RGBA pixels (a canvas's ImageData): faces with boxes, landmarks,
   * scores and probabilities, and the milliseconds of each stage.
   */
  async recognize(rgba, width, height, { maxSide } = {}) {
    return this.labelFaces(await this.findFaces(rgba, width, height, maxSide));
  }
}
