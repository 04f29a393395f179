"""The emotion recognizer: engines and their parity, results, defaults taken from the book."""

import json

import cv2
import numpy as np
import pytest

from emostudy.detectors import create_detector
from emostudy.errors import CorruptImageError, InvalidInputError, ModelNotFoundError
from emostudy.faces.crop import DEFAULT_CROP, CropSpec, crop_faces
from emostudy.models import (
    DEFAULT_EMOTION_MODEL,
    PARITY_TOLERANCE,
    KerasEngine,
    OnnxEngine,
    create_engine,
    export_onnx,
    export_tflite,
    load_emotion_model,
    model_classes,
    model_path,
    parity,
    predict_emotions,
    shipped_onnx_path,
)
from emostudy.models.engines import file_sha256, onnx_source_sha256
from emostudy.recognition import (
    DEFAULT_DETECTOR,
    OPERATING_THRESHOLDS,
    EmotionRecognizer,
    demo_image,
)
from emostudy.settings import project_root

RESULTS = None if project_root() is None else project_root() / "book" / "results"
# the astronaut's face in scikit-image's photo (x, y, w, h), read off the image
ASTRONAUT_FACE = (175, 55, 100, 125)


@pytest.fixture(scope="module")
def recognizer():
    return EmotionRecognizer()


@pytest.fixture(scope="module")
def faces():
    """48x48 crops of real faces: the astronaut, shifted and mirrored, and some noise."""
    image = demo_image()
    found = EmotionRecognizer().detect(image)
    crops = crop_faces(image, found)
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, (6, 48, 48), dtype=np.uint8)
    return np.concatenate([crops, crops[:, :, ::-1], np.roll(crops, 3, axis=1), noise])


def test_the_shipped_onnx_export_is_current_and_matches_keras(faces):
    path = shipped_onnx_path(DEFAULT_EMOTION_MODEL)
    assert path is not None, "the shipped ONNX export is missing or stale: run emostudy export"
    assert onnx_source_sha256(path) == file_sha256(model_path())
    check = parity(load_emotion_model(), path, faces)
    assert check["max_abs_logit_diff"] < PARITY_TOLERANCE
    assert check["argmax_agreement"] == 1.0


def test_every_keras_engine_gives_the_same_logits(faces):
    model = load_emotion_model()
    x = faces[..., None].astype(np.float32) / 255
    reference = np.asarray(model(x, training=False))
    for mode in ("predict", "call", "compiled"):
        np.testing.assert_allclose(KerasEngine(model, mode=mode).logits(x), reference, atol=1e-4)
    assert KerasEngine(model).logits(x[:0]).shape == (0, len(model_classes()))


def test_create_engine_picks_onnx_for_the_shipped_model_and_keras_for_objects():
    assert isinstance(create_engine(), OnnxEngine)
    assert create_engine(engine="compiled").name == "compiled"
    assert create_engine(load_emotion_model()).name == "compiled"
    with pytest.raises(InvalidInputError, match="Unknown engine"):
        create_engine(engine="gpu")
    with pytest.raises(InvalidInputError, match="exported file"):
        create_engine(load_emotion_model(), engine="onnx")
    with pytest.raises(ModelNotFoundError, match="not found"):
        create_engine("missing.onnx")
    with pytest.raises(ModelNotFoundError, match="available"):
        create_engine("no_such_model")


def test_onnx_export_round_trips_within_tolerance(tmp_path, faces):
    pytest.importorskip("tf2onnx", reason="ONNX export needs tf2onnx (pip install tf2onnx onnx)")
    model = load_emotion_model()
    onnx_file = export_onnx(model, tmp_path / "m.onnx", source=model_path())
    assert onnx_source_sha256(onnx_file) == file_sha256(model_path())
    check = parity(model, onnx_file, faces)
    assert check["max_abs_logit_diff"] < PARITY_TOLERANCE, check
    assert create_engine(onnx_file).logits(np.zeros((3, 48, 48, 1), np.float32)).shape == (
        3,
        len(model_classes()),
    )


def test_tflite_export_round_trips_within_tolerance(tmp_path, faces, caplog, capsys):
    model = load_emotion_model()
    # As in a notebook whose logging shows INFO: the converter's "Assets written to: <tmp>" log
    # line and its printed signature stay out of the output.
    with caplog.at_level("INFO", logger="tensorflow"):
        tflite_file = export_tflite(model, tmp_path / "m.tflite")
    assert not [r for r in caplog.records if "Assets written" in r.getMessage()]
    assert "Saved artifact" not in capsys.readouterr().out
    check = parity(model, tflite_file, faces)
    assert check["max_abs_logit_diff"] < PARITY_TOLERANCE, check
    engine = create_engine(tflite_file)
    assert engine.name == "tflite"
    np.testing.assert_allclose(
        engine.logits(faces[..., None].astype(np.float32) / 255),
        np.asarray(model(faces[..., None].astype(np.float32) / 255, training=False)),
        atol=PARITY_TOLERANCE,
    )
    with pytest.raises(InvalidInputError, match=".onnx or .tflite"):
        parity(model, tmp_path / "m.keras")


def test_recognize_the_demo_photo(recognizer):
    result = recognizer.recognize(demo_image())
    assert len(result) == 1 and result.image_size == (512, 512)
    face = result[0]
    truth = np.array(ASTRONAUT_FACE, float)
    x, y, w, h = face.box
    assert abs(x - truth[0]) < 25 and abs(y - truth[1]) < 25 and abs(w - truth[2]) < 30
    assert face.landmarks.shape == (5, 2) and face.score >= OPERATING_THRESHOLDS["retinaface"]
    assert face.probabilities.shape == (
        len(model_classes()),
    ) and face.probabilities.sum() == pytest.approx(1.0)
    assert face.emotion == "happy" and face.confidence > 0.5  # she smiles
    assert set(result.timings) == {"detect", "crop", "classify", "total"}


def test_colour_orders_and_paths_give_the_same_answer(recognizer, tmp_path):
    bgr = demo_image()
    path = tmp_path / "astronaut.png"
    cv2.imwrite(str(path), bgr)
    from_bgr = recognizer.recognize(bgr)[0]
    from_rgb = recognizer.recognize(np.ascontiguousarray(bgr[:, :, ::-1]), color_order="rgb")[0]
    from_path = recognizer.recognize(path)
    assert from_path.source == str(path)
    for other in (from_rgb, from_path[0]):
        np.testing.assert_allclose(other.box, from_bgr.box)
        np.testing.assert_allclose(other.probabilities, from_bgr.probabilities, atol=1e-6)
    gray = recognizer.recognize(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY))
    assert len(gray) == 1  # grayscale input works; the model sees gray faces anyway


def test_classify_matches_predict_emotions_with_flip_tta(recognizer, faces):
    np.testing.assert_allclose(recognizer.classify(faces), predict_emotions(faces), atol=1e-5)
    single = EmotionRecognizer(flip_tta=False).classify(faces)
    np.testing.assert_allclose(single, predict_emotions(faces, flip_tta=False), atol=1e-5)
    assert recognizer.classify(np.zeros((0, 48, 48), np.uint8)).shape == (0, len(model_classes()))


def test_results_convert_to_dicts_json_and_a_dataframe(recognizer):
    result = recognizer.recognize(demo_image())
    data = json.loads(result.to_json())
    face = data["faces"][0]
    assert face["emotion"] == result[0].emotion
    assert list(face["probabilities"]) == list(model_classes())
    assert sum(face["probabilities"].values()) == pytest.approx(1.0, abs=1e-3)
    assert len(face["box"]) == 4 and len(face["landmarks"]) == 5
    table = result.to_frame()
    assert len(table) == 1 and table.loc[0, "emotion"] == result[0].emotion
    assert {"x", "y", "w", "h", "score", "confidence", *model_classes()} <= set(table.columns)
    empty = recognizer.recognize(np.full((100, 100, 3), 128, np.uint8))
    assert len(empty) == 0 and empty.to_dicts() == [] and len(empty.to_frame()) == 0


def test_min_score_filters_and_a_ready_detector_keeps_its_threshold():
    strict = EmotionRecognizer(min_score=0.99999999)
    assert len(strict.recognize(demo_image())) == 0
    ready = EmotionRecognizer(create_detector("retinaface", score_threshold=0.5))
    assert ready.min_score is None and len(ready.recognize(demo_image())) == 1
    haar = EmotionRecognizer("haar")
    assert haar.min_score == OPERATING_THRESHOLDS["haar"]
    assert all(face.score >= 8.0 for face in haar.recognize(demo_image()))


def test_bad_arguments_get_clear_errors():
    with pytest.raises(InvalidInputError, match="Unknown detector"):
        EmotionRecognizer("nope")
    with pytest.raises(InvalidInputError, match="CropSpec"):
        EmotionRecognizer(crop={"margin": 0.1})
    with pytest.raises(InvalidInputError, match="min_score"):
        EmotionRecognizer(min_score=float("nan"))
    with pytest.raises(InvalidInputError, match="uint8"):
        EmotionRecognizer().recognize(np.zeros((50, 50, 3), np.float32))


def test_recognize_files_skips_a_bad_file_and_keeps_the_order(recognizer, tmp_path):
    good = tmp_path / "a.png"
    cv2.imwrite(str(good), demo_image())
    bad = tmp_path / "b.jpg"
    bad.write_bytes(b"not an image")
    paths = [good, bad, good]
    for workers in (1, 2):
        out = list(recognizer.recognize_files(paths, workers=workers))
        assert [p for p, _ in out] == [str(p) for p in paths]
        assert len(out[0][1]) == 1 and isinstance(out[1][1], CorruptImageError)
    with pytest.raises(InvalidInputError, match="workers"):
        list(recognizer.recognize_files(paths, workers=0))


def test_defaults_are_the_books_choices():
    if RESULTS is None or not (RESULTS / "detectors.json").is_file():
        pytest.skip("needs the project checkout's result tables")
    chapter7 = json.loads((RESULTS / "detectors.json").read_text())["results"]
    assert chapter7["verdict"]["chosen"] == DEFAULT_DETECTOR
    for name, entry in chapter7["operating_points"].items():
        assert OPERATING_THRESHOLDS[name] == pytest.approx(entry["threshold"])
    chapter12 = RESULTS / "recognizer.json"
    if chapter12.is_file():
        chosen = json.loads(chapter12.read_text())["results"]["crop_study"]["chosen"]
        assert CropSpec(**chosen) == DEFAULT_CROP


def test_import_emostudy_is_light_and_exposes_the_recognizer():
    import subprocess
    import sys

    import emostudy

    assert emostudy.EmotionRecognizer is EmotionRecognizer
    assert "EmotionRecognizer" in dir(emostudy)
    with pytest.raises(AttributeError, match="no attribute"):
        _ = emostudy.no_such_name
    code = "import sys, emostudy; print('tensorflow' in sys.modules, 'cv2' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]


def test_the_fer_package_pipeline_answers_in_our_terms():
    pytest.importorskip("fer")
    from emostudy.recognition import FerPipeline

    faces = FerPipeline()(demo_image())
    assert len(faces) == 1 and faces[0].emotion == "happy"
    assert faces[0].probabilities.shape == (7,) and faces[0].score == 1.0
    x, y, w, h = faces[0].box
    assert abs(x - ASTRONAUT_FACE[0]) < 30 and abs(y - ASTRONAUT_FACE[1]) < 30


def test_the_video_setting_searches_a_smaller_image_and_still_finds_the_face():
    from emostudy.recognition import VIDEO_MAX_SIDE

    video = EmotionRecognizer.for_video()
    assert video.detector.max_side == VIDEO_MAX_SIDE
    result = video.recognize(demo_image())  # 512 px searched at 320, cropped at 512
    assert len(result) == 1 and result[0].emotion == "happy"
    assert result[0].box[2] > 60  # boxes are in the pixels of the image passed in
    own_limit = create_detector("retinaface").max_side
    assert EmotionRecognizer(max_side=100_000).detector.max_side == own_limit
