"""Settings (data folder, model cache) and hash-checked model fetching, offline."""

import hashlib
from pathlib import Path

import pytest

from emostudy import downloads, settings
from emostudy.errors import DataNotFoundError, ModelNotFoundError

SHARED_MODELS = Path(__file__).resolve().parents[2] / "shared" / "models"


def test_data_dir_follows_the_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("EMOSTUDY_DATA", str(tmp_path))
    assert settings.data_dir() == tmp_path.resolve()
    monkeypatch.delenv("EMOSTUDY_DATA")
    assert settings.data_dir() == settings.project_root() / "data"


def test_missing_data_set_names_the_setting_and_the_source(tmp_path, monkeypatch):
    monkeypatch.setenv("EMOSTUDY_DATA", str(tmp_path))
    with pytest.raises(DataNotFoundError) as error:
        settings.dataset_path("fer2013")
    message = str(error.value)
    assert str(tmp_path / "fer2013") in message
    assert "EMOSTUDY_DATA" in message and "Kaggle" in message


def test_cache_dir_is_created(empty_cache):
    assert not empty_cache.exists()
    assert settings.cache_dir() == empty_cache.resolve()
    assert empty_cache.is_dir()


def test_unknown_model_lists_the_known_ones(empty_cache):
    with pytest.raises(ModelNotFoundError, match="face_detection_yunet_2023mar.onnx"):
        downloads.fetch_model("no_such_model.onnx")


def test_a_seeded_file_with_the_right_hash_is_used_without_network(empty_cache, monkeypatch):
    name = "face_detection_yunet_2023mar.onnx"
    content = b"pretend onnx bytes"
    fake = downloads.ModelFile(
        "http://127.0.0.1:9/never-contacted", hashlib.sha256(content).hexdigest()
    )
    monkeypatch.setitem(downloads.MODEL_REGISTRY, name, fake)
    (empty_cache / name).parent.mkdir(parents=True, exist_ok=True)
    (empty_cache / name).write_bytes(content)
    assert downloads.fetch_model(name).read_bytes() == content


def test_absent_file_without_network_gives_one_clear_error(empty_cache, monkeypatch):
    name = "face_detection_yunet_2023mar.onnx"
    fake = downloads.ModelFile("http://127.0.0.1:9/unreachable.onnx", "0" * 64)
    monkeypatch.setitem(downloads.MODEL_REGISTRY, name, fake)
    with pytest.raises(ModelNotFoundError) as error:
        downloads.fetch_model(name)
    message = str(error.value)
    assert "could not be downloaded" in message and "EMOSTUDY_CACHE" in message
    assert str(settings.cache_dir() / name) in message


def test_a_corrupted_cached_file_is_not_used(empty_cache, monkeypatch):
    name = "face_detection_yunet_2023mar.onnx"
    fake = downloads.ModelFile(
        "http://127.0.0.1:9/unreachable.onnx", hashlib.sha256(b"good").hexdigest()
    )
    monkeypatch.setitem(downloads.MODEL_REGISTRY, name, fake)
    settings.cache_dir()
    (empty_cache / name).write_bytes(b"tampered")
    with pytest.raises(ModelNotFoundError):
        downloads.fetch_model(name)


@pytest.mark.skipif(
    not SHARED_MODELS.is_dir(), reason="../shared/models is not beside the checkout"
)
def test_seeding_from_shared_models_matches_every_registered_hash(empty_cache):
    copied = downloads.seed_cache(SHARED_MODELS)
    assert {p.name for p in copied} == set(downloads.MODEL_REGISTRY)
    for name in downloads.MODEL_REGISTRY:
        assert downloads.fetch_model(name) == settings.cache_dir() / name


def test_a_cached_file_with_the_wrong_hash_is_named_and_moved_aside(empty_cache, monkeypatch):
    name = "face_detection_yunet_2023mar.onnx"
    expected = hashlib.sha256(b"good").hexdigest()
    fake = downloads.ModelFile("http://127.0.0.1:9/unreachable.onnx", expected)
    monkeypatch.setitem(downloads.MODEL_REGISTRY, name, fake)
    target = settings.cache_dir() / name
    target.write_bytes(b"tampered")
    with pytest.raises(ModelNotFoundError) as error:
        downloads.fetch_model(name)
    message = str(error.value)
    found = hashlib.sha256(b"tampered").hexdigest()
    assert "wrong SHA-256" in message and f"found {found}" in message
    assert f"expected {expected}" in message and "sha256sum" in message
    assert not target.exists()
    assert (empty_cache / f"{name}.damaged").read_bytes() == b"tampered"


def test_a_cache_setting_that_points_at_a_file_is_named(tmp_path, monkeypatch):
    from emostudy.errors import SettingsError

    afile = tmp_path / "cache.txt"
    afile.write_text("not a folder")
    monkeypatch.setenv("EMOSTUDY_CACHE", str(afile))
    with pytest.raises(SettingsError, match=r"EMOSTUDY_CACHE setting points at .*cache.txt.*file"):
        settings.cache_dir()
    monkeypatch.setenv("EMOSTUDY_CACHE", str(afile / "below"))
    with pytest.raises(SettingsError, match="Cannot create the model cache folder"):
        settings.cache_dir()
