// The "Try it" page: a photo (file input or drag and drop) or the camera, recognised in the
// browser. Nothing is uploaded: the photo and the frames stay in this page's memory.
import { Recognizer, hasWasmSimd, loadManifest } from "./recognizer.js";
import { FaceTracker } from "./tracker.js";
import { argmax, drawFaces } from "./draw.js";

const $ = (id) => document.getElementById(id);
const root = $("try-it");
const status = $("try-it-status");
const canvas = $("try-it-canvas");
const video = $("try-it-video");
const ctx = canvas.getContext("2d", { willReadFrequently: true });
const STATS_WINDOW = 30; // frames in the moving medians and the frame rate

const state = { recognizer: null, manifest: null, camera: null, last: null, frames: [] };
// One photo at a time: a photo picked while another is being read waits for it.
let queue = Promise.resolve();
function enqueue(task) {
  const run = queue.then(task);
  queue = run.catch(() => null);
  return run;
}
window.tryIt = state; // for the tests and the curious reader's console

function show(kind, message) {
  root.dataset.state = kind;
  status.textContent = message;
  status.className = `try-it-status try-it-${kind}`;
}

const number = (v) => v.toLocaleString("en-US");

async function start() {
  if (!hasWasmSimd()) {
    show("error", "This browser cannot run the recognizer: it lacks WebAssembly SIMD, which " +
      "ONNX Runtime Web needs (Chrome or Edge 91+, Firefox 89+, Safari 16.4+). Nothing was sent " +
      "anywhere; the Python library (`emostudy --demo`) runs the same models.");
    return;
  }
  show("loading", "Loading the recognizer (models and runtime from this site, once)…");
  try {
    state.manifest = await loadManifest();
    state.recognizer = await Recognizer.load(state.manifest);
  } catch (error) {
    show("error", `The recognizer could not load: ${error.message}. Rebuild the book with ` +
      "`make book`, which copies the runtime and the models into the site.");
    return;
  }
  $("try-it-file").disabled = false;
  $("try-it-camera").disabled = false;
  show("ready", "Ready: pick a photo, drop one here, or start the camera.");
}

// -- photos -------------------------------------------------------------------------------------
function imageSize(file) {
  return new Promise((resolve, reject) => {
    const url = URL.createObjectURL(file);
    const image = new Image();
    image.onload = () => {
      URL.revokeObjectURL(url);
      resolve([image.naturalWidth, image.naturalHeight]);
    };
    image.onerror = () => {
      URL.revokeObjectURL(url);
      reject(new Error("not an image"));
    };
    image.src = url;
  });
}

async function showPhoto(file) {
  await stopCamera();
  if (!state.recognizer) return;
  const limits = state.manifest.limits;
  show("busy", `Reading ${file.name}…`);
  let width;
  let height;
  try {
    [width, height] = await imageSize(file);
  } catch {
    show("error", `“${file.name}” is not an image this browser can read (JPEG, PNG, WebP, GIF ` +
      "or BMP). Pick a photo file.");
    return;
  }
  if (Math.min(width, height) < limits.min_side) {
    show("error", `“${file.name}” is ${width} × ${height} pixels: too small to hold a face (the ` +
      `detector needs at least ${limits.min_side} pixels on each side).`);
    return;
  }
  if (Math.max(width, height) > limits.max_side || width * height > limits.max_pixels) {
    show("error", `“${file.name}” is ${number(width)} × ${number(height)} pixels: larger than ` +
      `this page takes (at most ${number(limits.max_side)} pixels a side and ` +
      `${number(limits.max_pixels / 1e6)} megapixels, to keep the browser's memory in bounds). ` +
      "Shrink it first; the Python library (`emostudy photo.jpg`) reads any size.");
    return;
  }
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { colorSpaceConversion: "none", premultiplyAlpha: "none" });
  } catch {
    show("error", `“${file.name}” could not be decoded: the file is damaged or not an image.`);
    return;
  }
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height);
  show("busy", "Finding faces…");
  const result = await state.recognizer.recognize(pixels.data, canvas.width, canvas.height);
  const t = performance.now();
  drawFaces(ctx, result.faces, state.recognizer.classes, state.manifest.colors);
  result.timings.draw = performance.now() - t;
  state.last = { source: file.name, width: canvas.width, height: canvas.height, ...result };
  listFaces(result.faces);
  const n = result.faces.length;
  const ms = Object.values(result.timings).reduce((s, v) => s + v, 0);
  show("done", n === 0
    ? `No face found in “${file.name}” (${Math.round(ms)} ms).`
    : `${n} face${n === 1 ? "" : "s"} in “${file.name}”, in ${Math.round(ms)} ms.`);
}

function listFaces(faces) {
  const classes = state.recognizer.classes;
  const list = $("try-it-faces");
  list.replaceChildren();
  faces.forEach((face, i) => {
    const best = argmax(face.probabilities);
    const item = document.createElement("li");
    const rest = classes
      .map((name, k) => [name, face.probabilities[k]])
      .sort((a, b) => b[1] - a[1])
      .slice(1, 3)
      .map(([name, p]) => `${name} ${Math.round(p * 100)}%`)
      .join(", ");
    item.textContent = `Face ${i + 1}: looks ${classes[best]} ` +
      `(${Math.round(face.probabilities[best] * 100)}%; then ${rest}).`;
    list.append(item);
  });
}

// -- camera -------------------------------------------------------------------------------------
async function startCamera() {
  if (!state.recognizer || state.camera) return;
  await queue; // a photo still being read finishes first
  if (!navigator.mediaDevices?.getUserMedia) {
    show("error", "This browser gives no camera to this page (cameras need https or localhost).");
    return;
  }
  show("busy", "Asking for the camera…");
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      video: { width: { ideal: 640 }, height: { ideal: 480 } },
      audio: false,
    });
  } catch (error) {
    const messages = {
      NotAllowedError: "Camera access was denied. Allow the camera for this page in the " +
        "browser's site settings and try again, or pick a photo instead.",
      SecurityError: "Camera access was denied by the browser's settings. Pick a photo instead.",
      NotFoundError: "No camera was found. Connect one, or pick a photo instead.",
      NotReadableError: "The camera is in use by another program. Close it and try again.",
      OverconstrainedError: "The camera cannot deliver video this page can use.",
    };
    show("error", messages[error.name] || `The camera could not start (${error.name}).`);
    return;
  }
  video.srcObject = stream;
  await video.play();
  state.camera = { stream, tracker: new FaceTracker(state.manifest.tracking), running: true };
  state.frames = [];
  $("try-it-stop").hidden = false;
  $("try-it-faces").replaceChildren();
  show("camera", "Camera on: frames are processed in this page and never leave it.");
  const camera = state.camera;
  camera.loop = cameraLoop(camera).catch(async (error) => {
    camera.loop = null;
    await stopCamera();
    show("error", `The camera loop stopped: ${error.message}`);
  });
}

/** Stop the camera and wait until its last frame is through the recognizer. */
async function stopCamera() {
  const camera = state.camera;
  if (!camera) return;
  camera.running = false;
  camera.stream.getTracks().forEach((track) => track.stop());
  video.srcObject = null;
  state.camera = null;
  $("try-it-stop").hidden = true;
  $("try-it-fps").textContent = "";
  show("ready", "Camera off. Pick a photo or start the camera again.");
  await camera.loop;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : NaN;
};

/** Frame rate and median stage times over the last frames. */
function frameStats() {
  const frames = state.frames;
  if (frames.length < 2) return null;
  const span = (frames.at(-1).end - frames[0].end) / 1000;
  const stage = (name) => median(frames.map((f) => f.timings[name]));
  return {
    fps: (frames.length - 1) / span,
    frames: frames.length,
    ms: { detect: stage("detect"), crop: stage("crop"), classify: stage("classify"), draw: stage("draw") },
  };
}
state.frameStats = frameStats;

/**
 * Camera frames through the recognizer, two at a time: while the worker classifies the faces
 * of one frame, this thread grabs the next and searches it for faces; then the first frame is
 * tracked, drawn and counted. Frames that arrive meanwhile are skipped.
 */
async function cameraLoop(camera) {
  const grab = document.createElement("canvas");
  const grabCtx = grab.getContext("2d", { willReadFrequently: true });
  const { recognizer, manifest } = state;
  let pending = null;
  while (camera.running) {
    if (video.readyState < 2 || !video.videoWidth) {
      await new Promise((resolve) => setTimeout(resolve, 30));
      continue;
    }
    const w = video.videoWidth;
    const h = video.videoHeight;
    if (grab.width !== w || grab.height !== h) [grab.width, grab.height] = [w, h];
    grabCtx.drawImage(video, 0, 0, w, h);
    const pixels = grabCtx.getImageData(0, 0, w, h);
    const found = await recognizer.findFaces(pixels.data, w, h, manifest.detector.video_max_side);
    const labelled = recognizer.labelFaces(found); // runs in the worker from now on
    if (pending) showFrame(camera, pending.pixels, await pending.labelled);
    pending = { pixels, labelled };
    await new Promise((resolve) => setTimeout(resolve, 0)); // let the page breathe
  }
  if (pending) await pending.labelled.catch(() => null);
}

/** Track, draw and count one recognised camera frame. */
function showFrame(camera, pixels, result) {
  if (!camera.running) return;
  const { recognizer, manifest } = state;
  const tracked = camera.tracker.update(result.faces);
  const t = performance.now();
  if (canvas.width !== pixels.width || canvas.height !== pixels.height) {
    [canvas.width, canvas.height] = [pixels.width, pixels.height];
  }
  ctx.putImageData(pixels, 0, 0);
  drawFaces(ctx, tracked, recognizer.classes, manifest.colors);
  result.timings.draw = performance.now() - t;
  state.last = { source: "camera", width: pixels.width, height: pixels.height, faces: tracked, timings: result.timings };
  state.frames.push({ end: performance.now(), timings: result.timings });
  if (state.frames.length > STATS_WINDOW) state.frames.shift();
  const stats = frameStats();
  if (stats) {
    const ms = stats.ms;
    $("try-it-fps").textContent = `${stats.fps.toFixed(1)} frames/s — detect ` +
      `${ms.detect.toFixed(0)} ms, crop ${ms.crop.toFixed(1)} ms, classify ` +
      `${ms.classify.toFixed(0)} ms (in parallel with the next frame's detection), draw ` +
      `${ms.draw.toFixed(1)} ms; medians of the last ${stats.frames} frames`;
  }
}

// -- wiring -------------------------------------------------------------------------------------
$("try-it-file").addEventListener("change", (event) => {
  const [file] = event.target.files;
  if (file) enqueue(() => showPhoto(file)).catch(failed);
  event.target.value = "";
});
$("try-it-camera").addEventListener("click", () => startCamera().catch(failed));
$("try-it-stop").addEventListener("click", () => stopCamera().catch(failed));
for (const name of ["dragenter", "dragover"]) {
  root.addEventListener(name, (event) => {
    event.preventDefault();
    root.classList.add("try-it-dragging");
  });
}
root.addEventListener("dragleave", () => root.classList.remove("try-it-dragging"));
root.addEventListener("drop", (event) => {
  event.preventDefault();
  root.classList.remove("try-it-dragging");
  const [file] = event.dataTransfer.files;
  if (file) enqueue(() => showPhoto(file)).catch(failed);
});

/** An unexpected error: said on the page, and logged for whoever debugs it. */
function failed(error) {
  show("error", `Something went wrong: ${error.message}. Reload the page and try again.`);
  console.error(error);
}

start();
