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

from emostudy._validation import check_path
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


#: How each data set is named in messages.
DATA_TITLES = {
    "fer2013": "FER-2013",
    "ferplus": "The FER+ votes",
    "ckplus": "CK+",
    "wider_face_val": "WIDER FACE validation data",
    "photos": "The photo folder",
}


def dataset_path(name: str, path: str | os.PathLike | None = None, *, folder: bool = False) -> Path:
    """Where data set ``name`` is: the one resolver of data-set paths, with clear errors.

    Parameters
    ----------
    name
        Folder name of the data set, one of :data:`DATA_SOURCES` (``"fer2013"``, ``"ckplus"``, ...).
    path
        A folder (or file) the caller chose instead; ``None``: ``<data_dir()>/<name>``.
    folder
        Require a folder (a data set given as a single file is refused).

    Raises
    ------
    DataNotFoundError
        When nothing is there, naming where to get the data set.
    """
    source = DATA_SOURCES.get(name, "its publisher")
    if path is None:
        resolved = data_dir() / name
        if not resolved.exists():
            raise DataNotFoundError(
                f"Data set '{name}' not found at {resolved}. Get it from {source}, then put it "
                f"there or point the {DATA_ENV} environment variable at the folder that contains "
                f"'{name}/'."
            )
        return resolved
    resolved = check_path("path", path)
    if not (resolved.is_dir() if folder else resolved.exists()):
        title = DATA_TITLES.get(name, f"Data set '{name}'")
        raise DataNotFoundError(f"{title} not found at {resolved}. Get it from {source}.")
    return resolved


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
    "DATA_TITLES",
    "PROFILES",
    "project_root",
    "data_dir",
    "dataset_path",
    "cache_dir",
]
