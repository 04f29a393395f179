"""The registry of external model weights, fetched with pooch and checked by SHA-256 (floor 0).

The cache (:func:`emostudy.settings.cache_dir`) can be pre-seeded by copying files into it; a file
whose SHA-256 matches the registry is used as is and never downloaded again; a file whose hash does
not match is moved aside (``<name>.damaged``) and downloaded again.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from emostudy.errors import DataNotFoundError, ModelNotFoundError
from emostudy.settings import CACHE_ENV, cache_dir


@dataclass(frozen=True)
class ModelFile:
    """One external model file: its official download URL and SHA-256 (hex)."""

    url: str
    sha256: str


_OPENCV_3RDPARTY = "https://raw.githubusercontent.com/opencv/opencv_3rdparty"


_OPENCV_SAMPLES = "https://raw.githubusercontent.com/opencv/opencv/4.x/samples/dnn/face_detector"


#: Model files that no Python package ships, by cache file name.
MODEL_REGISTRY: dict[str, ModelFile] = {
    "face_detection_yunet_2023mar.onnx": ModelFile(
        "https://github.com/opencv/opencv_zoo/raw/main/models/face_detection_yunet/"
        "face_detection_yunet_2023mar.onnx",
        "8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4",
    ),
    "res10_300x300_ssd_iter_140000.caffemodel": ModelFile(
        f"{_OPENCV_3RDPARTY}/dnn_samples_face_detector_20170830/"
        "res10_300x300_ssd_iter_140000.caffemodel",
        "2a56a11a57a4a295956b0660b4a3d76bbdca2206c4961cea8efe7d95c7cb2f2d",
    ),
    "res10_deploy.prototxt": ModelFile(
        f"{_OPENCV_SAMPLES}/deploy.prototxt",
        "34d850436faf158ca4e690533ba27c1decf29653559299d80db9274146332ca7",
    ),
    "opencv_face_detector_uint8.pb": ModelFile(
        f"{_OPENCV_3RDPARTY}/dnn_samples_face_detector_20180220_uint8/opencv_face_detector_uint8.pb",
        "5c71d752ef2cbf2f457ac82fdd580fcb2522fd04c5efdaed18eb6d9e2843fbed",
    ),
    "opencv_face_detector.pbtxt": ModelFile(
        f"{_OPENCV_SAMPLES}/opencv_face_detector.pbtxt",
        "5397808362fc6fb7c4044484848e297b22449d913a267fa7f8bd9d86dce29144",
    ),
}


def fetch_model(name: str) -> Path:
    """Path of a registered model file, downloading it (SHA-256 checked) into the cache if needed.

    A file already in :func:`cache_dir` with the right hash is used without any network access.

    Raises
    ------
    ModelNotFoundError
        If ``name`` is not registered, or the file is absent and cannot be downloaded, or the
        download does not match its SHA-256.
    """
    import pooch  # imported here: only needed for model files

    if name not in MODEL_REGISTRY:
        known = ", ".join(sorted(MODEL_REGISTRY))
        raise ModelNotFoundError(f"Unknown model file '{name}'. Known model files: {known}.")
    entry = MODEL_REGISTRY[name]
    target = cache_dir() / name
    damaged = _set_aside_if_damaged(target, entry.sha256)
    try:
        return Path(
            pooch.retrieve(
                entry.url,
                known_hash=f"sha256:{entry.sha256}",
                fname=name,
                path=cache_dir(),
                progressbar=False,
            )
        )
    except Exception as error:  # network errors, HTTP errors, hash mismatch
        if damaged is not None:
            raise ModelNotFoundError(
                f"The cached model file {target} has the wrong SHA-256: found {damaged[1]}, "
                f"expected {entry.sha256}. It is damaged or another version, so it was moved to "
                f"{damaged[0]}. Downloading it again from {entry.url} failed "
                f"({type(error).__name__}: {error}). Download it by hand, check it with "
                f"`sha256sum`, and copy it to {target}; or set {CACHE_ENV} to a folder that "
                "holds the right file."
            ) from None
        raise ModelNotFoundError(
            f"Model file '{name}' is not in the cache ({target}) and could not be downloaded from "
            f"{entry.url} ({type(error).__name__}: {error}). Download it by hand and copy it to "
            f"{target}, or set {CACHE_ENV} to a folder that holds it (SHA-256 {entry.sha256})."
        ) from None


def _set_aside_if_damaged(target: Path, expected: str) -> tuple[Path, str] | None:
    """Move a cached file whose SHA-256 is not ``expected`` to ``<name>.damaged``.

    Returns the new path and the hash found, or ``None`` when the file is absent or sound.
    """
    if not target.is_file():
        return None
    import pooch

    found = pooch.file_hash(str(target), alg="sha256")
    if found == expected:
        return None
    quarantine = target.with_name(target.name + ".damaged")
    target.replace(quarantine)
    return quarantine, found


def seed_cache(folder: str | os.PathLike) -> list[Path]:
    """Copy every registered model file found in ``folder`` into the cache; return the copies.

    Used by tests and CI to work offline (``seed_cache("../shared/models")``). Files already in the
    cache are left alone; hashes are checked later, by :func:`fetch_model`.
    """
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise DataNotFoundError(f"seed_cache: {folder} is not a folder of model files.")
    copied = []
    for name in MODEL_REGISTRY:
        source, target = folder / name, cache_dir() / name
        if source.is_file() and not target.exists():
            shutil.copyfile(source, target)
            copied.append(target)
    return copied


__all__ = [
    "ModelFile",
    "MODEL_REGISTRY",
    "fetch_model",
    "seed_cache",
]
