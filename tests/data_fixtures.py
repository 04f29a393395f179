"""Shared fixtures and fake-data builders for the emostudy.data tests.

Registered through ``pytest_plugins = ["tests.data_fixtures"]`` in tests/conftest.py.
"""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np
import pytest

from emostudy.data import CKPLUS_CLASSES, FER_CLASSES, FaceSet, load_ckplus, load_fer2013
from emostudy.settings import data_dir

#: The fake FER-2013 folder: (split, class folder, file name), in the order the loader returns.
FAKE_FER_FILES = [
    ("train", "angry", "Training_1.png"),
    ("train", "angry", "Training_2.png"),
    ("train", "happy", "Training_3.png"),
    ("train", "Neutral", "Training_4.png"),
    ("train", "Neutral", "Training_5.png"),
    ("test", "happy", "PublicTest_6.png"),
    ("test", "sad", "PublicTest_7.png"),
    ("test", "angry", "PrivateTest_8.png"),
    ("test", "Neutral", "PrivateTest_9.png"),
]


def fake_face(seed: int) -> np.ndarray:
    """A seeded random ``(48, 48)`` uint8 image."""
    return np.random.default_rng(seed).integers(0, 256, size=(48, 48), dtype=np.uint8)


def usage_of(split: str, name: str) -> str:
    return "Training" if split == "train" else name.split("_")[0]


def write_fake_fer_folder(root: Path, files=FAKE_FER_FILES) -> list[np.ndarray]:
    """Write the fake FER-2013 folder layout under ``root``; return the images in load order."""
    images = []
    for i, (split, folder, name) in enumerate(files):
        (root / split / folder).mkdir(parents=True, exist_ok=True)
        image = fake_face(i)
        assert cv2.imwrite(str(root / split / folder / name), image)
        images.append(image)
    return images


def write_fer_csv(path: Path, rows: list[tuple[object, object, object]], header=None) -> Path:
    """Write a FER-2013 CSV of (emotion, pixels, usage) rows; pixels may be an array."""
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header or ["emotion", "pixels", "Usage"])
        for emotion, pixels, usage in rows:
            if isinstance(pixels, np.ndarray):
                pixels = " ".join(map(str, pixels.ravel()))
            writer.writerow([emotion, pixels, usage])
    return path


def fake_fer_csv_rows(files=FAKE_FER_FILES) -> list[tuple[int, np.ndarray, str]]:
    """The fake folder's images as CSV rows, test rows first (the loader must re-sort them)."""
    rows = [
        (FER_CLASSES.index(folder.lower()), fake_face(i), usage_of(split, name))
        for i, (split, folder, name) in enumerate(files)
    ]
    return [row for row in rows if row[2] != "Training"] + [r for r in rows if r[2] == "Training"]


def write_fake_ckplus(root: Path) -> dict[str, list[str]]:
    """A fake CK+ folder: 3 subjects, a few classes; returns {class: [file names]}."""
    layout = {
        "anger": ["S010_004_00000018.png", "S011_004_00000021.png"],
        "Happiness": ["S010_006_00000015.png", "S012_001_00000009.png"],
        "surprise": ["S011_001_00000014.png"],
    }
    for i, (folder, names) in enumerate(layout.items()):
        (root / folder).mkdir(parents=True)
        for j, name in enumerate(names):
            assert cv2.imwrite(str(root / folder / name), fake_face(100 + 10 * i + j))
    return layout


@pytest.fixture
def fake_fer_root(tmp_path: Path) -> Path:
    """A fake FER-2013 folder layout (see FAKE_FER_FILES) in a temporary folder."""
    root = tmp_path / "fer2013"
    write_fake_fer_folder(root)
    return root


@pytest.fixture
def missing_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """EMOSTUDY_DATA pointed at an empty folder (no data set present)."""
    empty = tmp_path / "no_data_here"
    empty.mkdir()
    monkeypatch.setenv("EMOSTUDY_DATA", str(empty))
    return empty


@pytest.fixture(scope="session")
def fer2013_dir() -> Path:
    """The real FER-2013 folder; skips the test when it is absent."""
    path = data_dir() / "fer2013"
    if not path.exists():
        pytest.skip(f"real FER-2013 not found at {path} (set EMOSTUDY_DATA)")
    return path


@pytest.fixture(scope="session")
def ckplus_dir() -> Path:
    """The real CK+ folder; skips the test when it is absent."""
    path = data_dir() / "ckplus"
    if not path.exists():
        pytest.skip(f"real CK+ not found at {path} (set EMOSTUDY_DATA)")
    return path


@pytest.fixture(scope="session")
def fer2013_real(fer2013_dir: Path) -> FaceSet:
    """All of the real FER-2013, loaded once per test session."""
    return load_fer2013(fer2013_dir, progress=False)


@pytest.fixture(scope="session")
def ckplus_real(ckplus_dir: Path) -> FaceSet:
    """All of the real CK+, loaded once per test session."""
    faceset = load_ckplus(ckplus_dir, progress=False)
    assert faceset.classes == CKPLUS_CLASSES
    return faceset
