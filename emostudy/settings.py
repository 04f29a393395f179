"""Where emostudy finds its data and caches, and the run profiles (floor 0).

``EMOSTUDY_DATA`` is the folder that holds the data sets (``fer2013/``, ``ferplus/``, ``ckplus/``,
``wider_face_val/``, ``photos/``); default: ``data/`` at the root of the project checkout, or
``./data`` when emostudy is installed outside a checkout. ``EMOSTUDY_CACHE`` is the folder for
downloaded model weights (default: the user cache folder, ``~/.cache/emostudy`` on Linux).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from emostudy.errors import DataNotFoundError, SettingsError

DATA_ENV = "EMOSTUDY_DATA"
CACHE_ENV = "EMOSTUDY_CACHE"


#: Where a user gets each data set (named in every "data not found" message).
DATA_SOURCES = {
    "fer2013": (
        "FER-2013 from the ICML 2013 challenge: the Kaggle 'challenges-in-representation-learning-"
        "facial-expression-recognition-challenge' (fer2013.csv) or the 'msambare/fer2013' folder "
        "download (train/ and test/ of class folders)"
    ),
    "ckplus": (
        "CK+ (Extended Cohn-Kanade) from its authors' site, under their research licence, as one "
        "48x48 peak frame per sequence: <class>/S<subject>_<sequence>_<frame>.png"
    ),
    "wider_face_val": "WIDER FACE validation images and ground truth from the WIDER FACE site",
    "photos": "any folder of photographs (JPEG or PNG)",
}


def project_root() -> Path | None:
    """The root of the project checkout that holds this package, or ``None`` when installed."""
    root = Path(__file__).resolve().parent.parent
    return root if (root / "pyproject.toml").is_file() and (root / "emostudy").is_dir() else None


def data_dir() -> Path:
    """The data folder: ``$EMOSTUDY_DATA`` if set, else ``<checkout>/data`` (or ``./data``)."""
    value = os.environ.get(DATA_ENV)
    if value:
        return Path(value).expanduser().resolve()
    root = project_root()
    return (root / "data") if root is not None else Path("data").resolve()


def dataset_path(name: str) -> Path:
    """Path of one data set inside :func:`data_dir`, raising a clear error when it is absent.

    Parameters
    ----------
    name
        Folder name of the data set, one of :data:`DATA_SOURCES` (``"fer2013"``, ``"ckplus"``, ...).
    """
    path = data_dir() / name
    if not path.exists():
        source = DATA_SOURCES.get(name, "its publisher")
        raise DataNotFoundError(
            f"Data set '{name}' not found at {path}. Get it from {source}, then put it there or "
            f"point the {DATA_ENV} environment variable at the folder that contains '{name}/'."
        )
    return path


def cache_dir() -> Path:
    """The model cache folder: ``$EMOSTUDY_CACHE`` if set, else the user cache dir. Created.

    Raises
    ------
    SettingsError
        If the path is an existing file, or the folder cannot be created.
    """
    value = os.environ.get(CACHE_ENV)
    path = Path(value).expanduser() if value else Path(platformdirs.user_cache_dir("emostudy"))
    path = path.resolve()
    source = f"the {CACHE_ENV} setting" if value else "the default model cache"
    if path.exists() and not path.is_dir():
        raise SettingsError(
            f"{source[0].upper()}{source[1:]} points at {path}, which is a file, not a folder. Set "
            f"{CACHE_ENV} to a folder (it is created if absent), e.g. ~/.cache/emostudy."
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:  # a parent is a file, no permission, read-only file system
        raise SettingsError(
            f"Cannot create the model cache folder {path} ({source}): {error.strerror or error}. "
            f"Set {CACHE_ENV} to a folder you can write to."
        ) from None
    return path


#: Run profiles of every notebook: "quick" (minutes, for tests) and "full" (the published results).
PROFILES = ("full", "quick")


__all__ = [
    "DATA_ENV",
    "CACHE_ENV",
    "DATA_SOURCES",
    "PROFILES",
    "project_root",
    "data_dir",
    "dataset_path",
    "cache_dir",
]
