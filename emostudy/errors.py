"""Exceptions raised by emostudy.

Every error the library raises for bad input is an :class:`EmostudyError` whose message names the
offending path (or value) and the fix, so that a reader never has to decode a stack trace from deep
inside OpenCV or TensorFlow. Each class also derives from the matching built-in exception, so
``except FileNotFoundError`` and ``except ValueError`` keep working.
"""

from __future__ import annotations


class EmostudyError(Exception):
    """Base class of every error raised on purpose by emostudy."""


class DataNotFoundError(EmostudyError, FileNotFoundError):
    """A data set (or one of its folders or files) is not where the settings say it is."""


class DataLayoutError(EmostudyError, ValueError):
    """A data set is present but its folders, file names or columns are not the expected ones."""


class FileAccessError(EmostudyError, PermissionError):
    """A file or folder exists but this user may not read it (its permissions)."""


class CorruptImageError(EmostudyError, ValueError):
    """An image file cannot be decoded (truncated, not an image, unsupported format)."""


class ModelNotFoundError(EmostudyError, FileNotFoundError):
    """A model file is neither in the model cache nor downloadable."""


class InvalidInputError(EmostudyError, ValueError):
    """An array or argument has the wrong shape, dtype or value range."""


class SettingsError(EmostudyError, ValueError):
    """A setting (``EMOSTUDY_DATA``, ``EMOSTUDY_CACHE``) points at something that cannot be used."""


__all__ = [
    "EmostudyError",
    "DataNotFoundError",
    "DataLayoutError",
    "CorruptImageError",
    "FileAccessError",
    "ModelNotFoundError",
    "InvalidInputError",
    "SettingsError",
]
