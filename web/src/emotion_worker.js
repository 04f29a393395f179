// The emotion model in its own thread (a module Web Worker with its own ONNX Runtime instance),
// so that in camera mode the detector searches the next frame while this classifies the faces
// of the current one: two cores at work instead of one.
import * as ort from "./ort/ort.wasm.min.mjs";
import { FACE_SIZE } from "./crop.js";
import { modelInput, probabilities } from "./emotion.js";

let session = null;
let settings = null;

async function load({ bytes, wasm, emotion }) {
  ort.env.wasm.wasmPaths = new URL("ort/", import.meta.url).href;
  ort.env.wasm.wasmBinary = wasm; // fetched once by the page, not downloaded again
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = "error";
  session = await ort.InferenceSession.create(new Uint8Array(bytes), {
    executionProviders: ["wasm"],
    graphOptimizationLevel: "all",
  });
  settings = emotion;
  return {};
}

async function classify({ crops }) {
  const start = performance.now();
  const faces = crops.map((buffer) => new Uint8Array(buffer));
  const n = faces.length;
  const flip = settings.flip_tta;
  const input = new ort.Tensor("float32", modelInput(faces, flip), [
    flip ? 2 * n : n,
    FACE_SIZE,
    FACE_SIZE,
    1,
  ]);
  const out = await session.run({ [settings.input]: input });
  const logits = out[settings.output].data;
  const result = probabilities(logits, n, settings.classes.length, flip);
  out[settings.output].dispose?.();
  return { probabilities: result, ms: performance.now() - start };
}

self.onmessage = async ({ data }) => {
  try {
    const reply = data.type === "load" ? await load(data) : await classify(data);
    self.postMessage({ id: data.id, ...reply });
  } catch (error) {
    self.postMessage({ id: data.id, error: error.message });
  }
};
