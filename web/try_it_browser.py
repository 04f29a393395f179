"""Drive the book's in-browser recognizer in headless Chromium, and measure it.

Used by ``tests/test_try_it.py`` (which checks the figures) and, as a script, to record them::

    python -m web.try_it_browser _build/html      # writes book/results/try_it.json

The built site is served on ``127.0.0.1`` by Python's ``http.server`` in a thread; Chromium is
the system's (never a downloaded one), started with a fresh profile and the offline flags below;
every request is routed, and any that is not for ``127.0.0.1`` (or a local file) is blocked and
recorded.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import http.server
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from emostudy.geometry import box_iou
from emostudy.hardware import cpu_description

ROOT = Path(__file__).resolve().parents[1]
#: Where the recorded figures go.
RESULTS = ROOT / "book" / "results" / "try_it.json"
#: The page, relative to the site root.
PAGE = "book/try_it.html"
#: Chromium flags: no network of its own (updates, sync, QUIC), no GPU, no sandbox (containers).
CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
#: The study photos the parity check uses (one face, two faces, five faces), beside the
#: astronaut demo photo.
STUDY_PHOTOS = ("photo_24.jpg", "photo_44.jpg", "photo_60.jpg")
#: The photo the fake camera's clip is made from (one face; 719x480, cut to 640x480).
CAMERA_PHOTO = "photo_66.jpg"


#: Console errors the book's theme prints on every page, this one included: sphinx-thebe adds its
#: settings script twice (a redeclared ``const``) and pydata-sphinx-theme complains of an unset
#: colour mode on a first visit. They are not the recognizer's and are left out of its checks.
THEME_ERRORS = ("Identifier 'THEBE_JS_URL' has already been declared", "Got invalid theme mode")


def chromium_path() -> str | None:
    """The system's Chromium, or ``None``."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


# -- serving ------------------------------------------------------------------------------------
class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".mjs": "text/javascript",
        ".js": "text/javascript",
        ".wasm": "application/wasm",
        ".onnx": "application/octet-stream",
    }

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's name)
        pass


@contextlib.contextmanager
def serve(folder: str | Path) -> Iterator[str]:
    """Serve ``folder`` on ``http://127.0.0.1:<free port>/`` in a thread; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


# -- the browser --------------------------------------------------------------------------------
@dataclass
class Browser:
    """A Playwright persistent context on the system Chromium, with its request log."""

    context: Any
    blocked: list[str] = field(default_factory=list)
    requested: list[str] = field(default_factory=list)

    def new_page(self, *, no_simd: bool = False) -> tuple[Any, list[str]]:
        """A new tab and the list its console errors and uncaught exceptions go to.

        ``no_simd`` makes the browser look like one without WebAssembly SIMD: an init script
        makes ``WebAssembly.validate`` refuse any module that uses a SIMD instruction (0xfd).
        """
        page = self.context.new_page()
        errors: list[str] = []

        def record(text: str) -> None:
            if not any(known in text for known in THEME_ERRORS):
                errors.append(text)

        page.on("console", lambda m: record(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: record(f"uncaught: {e}"))
        if no_simd:
            page.add_init_script(
                "(() => { const validate = WebAssembly.validate;"
                " WebAssembly.validate = (bytes) => !new Uint8Array(bytes.buffer ?? bytes)"
                ".includes(0xfd) && validate(bytes); })();"
            )
        return page, errors


@contextlib.contextmanager
def browser(camera_clip: str | Path | None = None) -> Iterator[Browser]:
    """Headless Chromium (the system's) with a fresh profile; the fake camera plays
    ``camera_clip`` (a ``.y4m`` or ``.mjpeg`` file) when given."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    if executable is None:
        raise RuntimeError("Chromium is not installed (apt-get install chromium).")
    flags = list(CHROMIUM_FLAGS) + ["--use-fake-device-for-media-stream"]
    if camera_clip is not None:
        flags.append(f"--use-file-for-fake-video-capture={camera_clip}")
    with tempfile.TemporaryDirectory(prefix="try-it-profile-") as profile, sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile,
            executable_path=executable,
            headless=True,
            args=flags,
            viewport={"width": 1200, "height": 1600},
        )
        driven = Browser(context)

        def route(route: Any) -> None:
            url = route.request.url
            driven.requested.append(url)
            parsed = urlparse(url)
            if parsed.scheme == "file" or parsed.hostname in ("127.0.0.1", "localhost"):
                route.continue_()
            else:
                driven.blocked.append(url)
                route.abort()

        context.route("**/*", route)
        try:
            yield driven
        finally:
            context.close()


def open_page(driven: Browser, base: str, *, no_simd: bool = False) -> tuple[Any, list[str]]:
    """The try-it page, loaded and settled (ready, or showing its error)."""
    page, errors = driven.new_page(no_simd=no_simd)
    page.goto(base + PAGE)
    page.wait_for_function(
        "['ready', 'error'].includes(document.getElementById('try-it')?.dataset.state)",
        timeout=60_000,
    )
    return page, errors


def page_state(page: Any) -> tuple[str, str]:
    """The page's state (``ready``, ``done``, ``error``...) and its status message."""
    return page.evaluate(
        "[document.getElementById('try-it').dataset.state,"
        " document.getElementById('try-it-status').textContent]"
    )


def upload(page: Any, path: str | Path, timeout: float = 60_000) -> tuple[str, str]:
    """Give the page a file through its file input; returns its final state and message."""
    page.evaluate("document.getElementById('try-it').dataset.state = 'sent'")
    page.set_input_files("#try-it-file", str(path))
    page.wait_for_function(
        "['done', 'error'].includes(document.getElementById('try-it').dataset.state)",
        timeout=timeout,
    )
    return page_state(page)


def last_result(page: Any) -> dict[str, Any]:
    """The page's last recognition: faces (box, score, probabilities...) and stage timings."""
    return page.evaluate("JSON.parse(JSON.stringify(window.tryIt.last))")


# -- comparing with Python ----------------------------------------------------------------------
def pair_iou(a: Any, b: Any) -> float:
    """IoU of two ``(x, y, w, h)`` boxes (:func:`emostudy.geometry.box_iou`)."""
    return float(box_iou(np.asarray([a], float), np.asarray([b], float))[0, 0])


def compare_faces(browser_faces: list[dict], python_faces: list[Any]) -> dict[str, Any]:
    """Match each Python face to the browser face overlapping it most; the worst IoU, whether
    every top emotion agrees, and the largest probability difference."""
    worst_iou, max_diff, same_top = 1.0, 0.0, True
    for face in python_faces:
        ious = [pair_iou(face.box, b["box"]) for b in browser_faces]
        if not ious:
            return {"faces": len(python_faces), "browser_faces": 0, "min_iou": 0.0}
        best = browser_faces[int(np.argmax(ious))]
        worst_iou = min(worst_iou, max(ious))
        p = np.asarray(best["probabilities"])
        max_diff = max(max_diff, float(np.abs(p - face.probabilities).max()))
        same_top = same_top and int(p.argmax()) == int(np.argmax(face.probabilities))
    return {
        "faces": len(python_faces),
        "browser_faces": len(browser_faces),
        "min_iou": worst_iou,
        "same_top_emotion": same_top,
        "max_probability_difference": max_diff,
    }


def test_images(folder: Path, data: Path) -> dict[str, tuple[Path, np.ndarray]]:
    """The parity photos, written to ``folder`` (the astronaut as a lossless PNG): name ->
    (file the page gets, BGR pixels Python gets)."""
    import cv2

    from emostudy.recognition.demo import demo_image

    astronaut = folder / "astronaut.png"
    cv2.imwrite(str(astronaut), demo_image())
    images = {"astronaut.png": (astronaut, demo_image())}
    for name in STUDY_PHOTOS:
        path = data / "photos" / name
        images[name] = (path, cv2.imread(str(path)))
    return images


def photo_parity(page: Any, images: dict[str, tuple[Path, np.ndarray]]) -> dict[str, Any]:
    """Every parity photo through the page's file input and through ``EmotionRecognizer``."""
    from emostudy.recognition import EmotionRecognizer

    recognizer = EmotionRecognizer()
    figures = {}
    for name, (path, bgr) in images.items():
        state, message = upload(page, path)
        if state != "done":
            figures[name] = {"error": message}
            continue
        result = last_result(page)
        figures[name] = {
            **compare_faces(result["faces"], list(recognizer.recognize(bgr))),
            "browser_ms": {k: round(v, 1) for k, v in result["timings"].items()},
        }
    return figures


# -- the camera ---------------------------------------------------------------------------------
def write_camera_clip(photo: Path, path: Path, frames: int = 30) -> np.ndarray:
    """A 640x480 YUV4MPEG2 clip of ``photo`` (centre-cut to 4:3 and resized), ``frames`` long at
    30 frames/s; returns the BGR frame as the clip holds it (after the 4:2:0 round trip)."""
    import cv2

    image = cv2.imread(str(photo))
    h, w = image.shape[:2]
    width = min(w, h * 4 // 3)
    height = width * 3 // 4
    x0, y0 = (w - width) // 2, (h - height) // 2
    frame = cv2.resize(image[y0 : y0 + height, x0 : x0 + width], (640, 480), cv2.INTER_AREA)
    yuv = cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420)
    with open(path, "wb") as out:
        out.write(b"YUV4MPEG2 W640 H480 F30:1 Ip A1:1 C420jpeg\n")
        for _ in range(frames):
            out.write(b"FRAME\n" + yuv.tobytes())
    return cv2.cvtColor(yuv, cv2.COLOR_YUV2BGR_I420)


def run_camera(page: Any, seconds: float = 6.0) -> dict[str, Any]:
    """Start the page's camera, let it run ``seconds``, and return its figures: frame rate,
    median stage times, the last frame's faces and the frame-rate text on the page."""
    page.click("#try-it-camera")
    page.wait_for_function(
        "['camera', 'error'].includes(document.getElementById('try-it').dataset.state)",
        timeout=30_000,
    )
    state, message = page_state(page)
    if state != "camera":
        return {"error": message}
    page.wait_for_function("window.tryIt.frames.length >= 3", timeout=60_000)
    time.sleep(seconds)
    stats = page.evaluate("window.tryIt.frameStats()")
    last = last_result(page)
    text = page.inner_text("#try-it-fps")
    page.click("#try-it-stop")
    return {"stats": stats, "last": last, "fps_text": text}


# -- page weight --------------------------------------------------------------------------------
def page_weight(site: Path, urls: list[str]) -> dict[str, Any]:
    """Bytes on disk and gzip-compressed of every distinct file the page requested, in all and
    for the recognizer's own files (``try_it/``)."""
    files = set()
    for url in urls:
        path = urlparse(url).path.lstrip("/")
        candidate = site / path
        if candidate.is_file():
            files.add(candidate)
    weight: dict[str, Any] = {}
    for label, chosen in (
        ("page", files),
        ("recognizer", {f for f in files if f.relative_to(site).parts[0] == "try_it"}),
    ):
        raw = sum(f.stat().st_size for f in chosen)
        packed = sum(len(gzip.compress(f.read_bytes(), 6)) for f in chosen)
        weight[label] = {"files": len(chosen), "mb": raw / 1e6, "gzip_mb": packed / 1e6}
    return weight


# -- recording ----------------------------------------------------------------------------------
def measure(site: Path, data: Path) -> dict[str, Any]:
    """The recorded figures: parity per photo, camera frame rate and stage times, page weight."""
    with tempfile.TemporaryDirectory(prefix="try-it-") as tmp:
        folder = Path(tmp)
        clip = folder / "camera.y4m"
        write_camera_clip(data / "photos" / CAMERA_PHOTO, clip)
        images = test_images(folder, data)
        with serve(site) as base, browser(clip) as driven:
            driven.context.grant_permissions(["camera"], origin=base.rstrip("/"))
            page, errors = open_page(driven, base)
            parity = photo_parity(page, images)
            camera = run_camera(page)
            weight = page_weight(site, driven.requested)
    load = os.getloadavg()[0]
    manifest = json.loads((site / "try_it" / "manifest.json").read_text())
    stats = camera.get("stats") or {}
    return {
        "runtime": manifest["runtime"],
        "emotion_model": manifest["emotion"]["name"],
        "browser": (
            "headless Chromium (Playwright); RetinaFace in the page's thread, the emotion "
            "model in a worker, one WebAssembly thread each"
        ),
        "camera_frame": "640x480, one face, detector at 320 px",
        "cpu": cpu_description(),
        "load_average_1min": round(load, 2),
        "frames_per_second": stats.get("fps"),
        "ms_per_stage": stats.get("ms"),
        "parity": parity,
        "parity_worst": {
            "min_iou": min(v.get("min_iou", 0.0) for v in parity.values()),
            "max_probability_difference": max(
                v.get("max_probability_difference", 1.0) for v in parity.values()
            ),
            "same_top_emotion": all(v.get("same_top_emotion", False) for v in parity.values()),
        },
        "page_weight": weight,
        "blocked_requests": len(driven.blocked),
        "console_errors": len(errors),
    }


def main(argv: list[str] | None = None) -> int:
    """``python -m web.try_it_browser SITE [DATA]``: measure, write book/results/try_it.json."""
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("usage: python -m web.try_it_browser _build/html [DATA_FOLDER]")
        return 2
    data = Path(args[1] if len(args) > 1 else os.environ.get("EMOSTUDY_DATA", ROOT / "data"))
    figures = measure(Path(args[0]), data)
    RESULTS.write_text(json.dumps(figures, indent=1, sort_keys=True) + "\n")
    print(json.dumps(figures, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
