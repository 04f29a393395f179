"""One home for the checks of public arguments: numbers, ranges, sizes, boxes and paths.

Every check raises :class:`~emostudy.errors.InvalidInputError` (or a data error for paths) whose
message echoes the value received and says what to pass instead, so that a wrongly typed setting
never surfaces as a bare ``TypeError`` from deep inside NumPy, OpenCV or TensorFlow. Booleans are
refused where numbers are expected (``True`` is an ``int`` to Python, never a threshold to a user).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import numpy as np

from emostudy.errors import DataNotFoundError, InvalidInputError


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_real(value: Any) -> bool:
    return isinstance(value, Real | np.floating | np.integer) and not isinstance(
        value, bool | np.bool_
    )


def check_int(
    name: str, value: Any, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """``value`` as an ``int``, refusing floats, strings, booleans and values out of range."""
    if not isinstance(value, Integral | np.integer) or isinstance(value, bool | np.bool_):
        hint = f" Pass int({value!r})." if isinstance(value, float) and value.is_integer() else ""
        raise InvalidInputError(
            f"{name} must be an integer, got {_shown(value)} ({type(value).__name__}).{hint}"
        )
    too_low = minimum is not None and value < minimum
    too_high = maximum is not None and value > maximum
    if too_low or too_high:
        lo = "" if minimum is None else f" >= {minimum}"
        hi = "" if maximum is None else f"{' and' if lo else ''} <= {maximum}"
        raise InvalidInputError(f"{name} must be an integer{lo}{hi}, got {value}.")
    return int(value)


def check_number(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """``value`` as a finite ``float`` inside the interval given by ``low`` and ``high``.

    ``low_open`` / ``high_open`` exclude the bound itself. Strings are refused with a hint, so
    ``"0.5"`` never reaches a C++ library.
    """
    if not _is_real(value):
        hint = f" Pass the number itself, e.g. {value.strip()}." if isinstance(value, str) else ""
        raise InvalidInputError(
            f"{name} must be a number, got {_shown(value)} ({type(value).__name__}).{hint}"
        )
    number = float(value)
    interval = _interval(low, high, low_open, high_open)
    if not math.isfinite(number):
        raise InvalidInputError(f"{name} must be a finite number{interval}, got {value}.")
    too_low = low is not None and (number <= low if low_open else number < low)
    too_high = high is not None and (number >= high if high_open else number > high)
    if too_low or too_high:
        raise InvalidInputError(f"{name} must lie in {interval.strip()}, got {value}.")
    return number


def _interval(low, high, low_open, high_open) -> str:
    if low is None and high is None:
        return ""
    left = "(" if low_open or low is None else "["
    right = ")" if high_open or high is None else "]"
    lo = "-inf" if low is None else f"{low:g}"
    hi = "inf" if high is None else f"{high:g}"
    return f" {left}{lo}, {hi}{right}"


def check_probability(name: str, value: Any, *, zero_ok: bool = True) -> float:
    """A threshold in ``[0, 1]`` (``(0, 1]`` when ``zero_ok`` is False)."""
    return check_number(name, value, low=0.0, high=1.0, low_open=not zero_ok)


def check_numbers(
    name: str, values: Any, length: int, *, example: str, **bounds: Any
) -> tuple[float, ...]:
    """A sequence of exactly ``length`` numbers, each checked by :func:`check_number`.

    ``example`` is shown in the message (for instance ``"(0.6, 0.7, 0.8)"``).
    """
    if isinstance(values, str | bytes) or not isinstance(values, Sequence | np.ndarray):
        raise InvalidInputError(
            f"{name} must be a sequence of {length} numbers such as {example}, got "
            f"{_shown(values)} ({type(values).__name__})."
        )
    if len(values) != length:
        raise InvalidInputError(
            f"{name} needs {length} values such as {example}, got {len(values)}: {_shown(values)}."
        )
    return tuple(check_number(f"{name}[{i}]", v, **bounds) for i, v in enumerate(values))


def check_size(
    name: str, value: Any, *, minimum: int = 1, maximum: int | None = None
) -> tuple[int, int]:
    """A ``(width, height)`` pair of integers, each in ``minimum .. maximum`` pixels."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence | np.ndarray):
        raise InvalidInputError(
            f"{name} must be a (width, height) pair of integers >= {minimum}, such as (320, 320); "
            f"got {_shown(value)} ({type(value).__name__})."
        )
    if len(value) != 2:
        raise InvalidInputError(
            f"{name} must be a (width, height) pair, such as (320, 320); got {_shown(value)}."
        )
    size = tuple(check_int(f"{name}[{i}]", v, minimum=minimum) for i, v in enumerate(value))
    if maximum is not None and max(size) > maximum:
        raise InvalidInputError(
            f"{name} must be at most {maximum} pixels a side (memory grows with its area), got "
            f"{value}."
        )
    return size


def check_choice(name: str, value: Any, choices: Sequence[Any]) -> Any:
    """``value`` if it is one of ``choices`` (compared with ``==``; strings only equal strings)."""
    if not any(type(value) is type(choice) and value == choice for choice in choices):
        raise InvalidInputError(
            f"{name} must be one of {', '.join(map(repr, choices))}; got {_shown(value)}."
        )
    return value


def check_boxes(
    name: str, boxes: Any, *, columns: int = 4, nonnegative_size: bool = False
) -> np.ndarray:
    """An ``(N, 4)`` float64 array of ``x, y, w, h`` boxes (``(0, 4)`` for an empty input).

    A flat ``(4,)`` box becomes ``(1, 4)``. Any other shape (``(2, 6)``, ``(8,)``...) is refused
    rather than reshaped, and non-finite coordinates are refused. With ``nonnegative_size`` a
    negative width or height is refused too.
    """
    try:
        array = np.asarray(boxes, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidInputError(
            f"{name} must be an (N, {columns}) array of numbers (x, y, w, h), got "
            f"{type(boxes).__name__}."
        ) from None
    if array.size == 0:
        return np.zeros((0, columns))
    if array.ndim == 1 and array.shape[0] == columns:
        array = array[None]
    if array.ndim != 2 or array.shape[1] != columns:
        extra = (
            f" If the rows carry more columns (a score...), pass {name}[:, :{columns}]."
            if array.ndim == 2 and array.shape[1] > columns
            else ""
        )
        raise InvalidInputError(
            f"{name} must be an (N, {columns}) array of x, y, w, h boxes, got shape "
            f"{array.shape}.{extra}"
        )
    if not np.isfinite(array).all():
        raise InvalidInputError(f"{name} holds non-finite values (NaN or inf); drop those rows.")
    if nonnegative_size and (array[:, 2:4] < 0).any():
        row = int(np.flatnonzero((array[:, 2:4] < 0).any(axis=1))[0])
        raise InvalidInputError(
            f"{name} row {row} has a negative width or height ({array[row, :4].tolist()}); boxes "
            "are x, y, w, h with w, h >= 0 (convert x1, y1, x2, y2 with w = x2 - x1)."
        )
    return array


def check_path(name: str, value: Any) -> Path:
    """``value`` as a :class:`Path` (``~`` expanded), refusing anything but ``str`` and PathLike.

    An empty string, a URL (emostudy reads local files only) and ``~user`` for a user this
    machine does not know are refused with a message that names the fix.
    """
    if not isinstance(value, str | os.PathLike):
        raise InvalidInputError(
            f"{name} must be a folder or file path (str or pathlib.Path), got "
            f"{_shown(value)} ({type(value).__name__})."
        )
    text = os.fspath(value)
    if isinstance(text, str) and text.strip() == "":
        raise InvalidInputError(
            f"{name} is an empty string; give a file or folder path ('.' for this folder)."
        )
    if isinstance(text, str) and "://" in text:
        raise InvalidInputError(
            f"{name} {text!r} is a URL; emostudy reads local files only (no network at run "
            "time). Download the file first, then pass its path."
        )
    try:
        return Path(value).expanduser()
    except RuntimeError:  # "~nosuchuser/..."
        raise InvalidInputError(
            f"{name} {text!r} starts with '~' but names no user of this machine; write the "
            "path out in full."
        ) from None


def check_existing_file(path: Any, what: str = "file") -> Path:
    """``path`` as a :class:`Path` to an existing file; clear errors for folders and absences."""
    if not isinstance(path, str | os.PathLike):
        raise InvalidInputError(
            f"The {what} path must be a str or Path, got {type(path).__name__}."
        )
    path = Path(path).expanduser()
    if path.is_dir():
        raise InvalidInputError(
            f"{path} is a folder, not a {what}. Pass the path of one {what} inside it."
        )
    if not path.is_file():
        raise DataNotFoundError(f"{what.capitalize()} not found: {path}. Check the path.")
    return path


def check_seed(name: str, value: Any) -> int | None:
    """A random seed: ``None`` or an integer >= 0 (what :func:`numpy.random.default_rng` takes)."""
    if value is None:
        return None
    return check_int(name, value, minimum=0)


def check_sequence(name: str, value: Any, what: str) -> list[Any]:
    """``value`` as a list, refusing a single string, path, array-less scalar or ``None``.

    ``what`` says what the items are (``"image paths"``...): a string is iterable in Python but
    never a list of anything to a user, so ``"photo.jpg"`` is refused with ``[value]`` as the fix.
    """
    if isinstance(value, str | bytes | os.PathLike):
        raise InvalidInputError(
            f"{name} must be a list of {what}, got the single {type(value).__name__} "
            f"{_shown(value)}; pass [{_shown(value)}] for one."
        )
    if value is None or not hasattr(value, "__iter__") or isinstance(value, dict):
        raise InvalidInputError(
            f"{name} must be a list of {what}, got {_shown(value)} ({type(value).__name__})."
        )
    return list(value)


def check_names(name: str, value: Any) -> list[str]:
    """A non-empty sequence of distinct strings (class names...)."""
    items = check_sequence(name, value, "names (strings)")
    if not items or not all(isinstance(item, str) for item in items):
        raise InvalidInputError(
            f"{name} must be a non-empty list of names (strings), such as ('angry', 'happy'); "
            f"got {_shown(value)}."
        )
    if len(set(items)) != len(items):
        raise InvalidInputError(f"{name} must be distinct, got {_shown(items)}.")
    return items


def check_class_labels(name: str, value: Any, n_classes: int | None = None) -> np.ndarray:
    """A 1-D ``int64`` array of class indices, refusing strings, NaN and fractional values.

    Floats are accepted only when every value is a whole number (``[0.0, 1.0]``); ``[0.7, 1.9]``
    is refused rather than truncated. With ``n_classes`` every label must lie in
    ``[0, n_classes)``.
    """
    array = np.asarray(value)
    if array.ndim != 1:
        raise InvalidInputError(
            f"{name} must be a 1-D array of class indices, got shape {array.shape}."
        )
    if array.dtype == bool:
        array = array.astype(np.int64)
    elif np.issubdtype(array.dtype, np.floating):
        if not (np.isfinite(array).all() and (array == np.round(array)).all()):
            raise InvalidInputError(
                f"{name} must hold whole class indices 0, 1, 2...; got non-integer values such "
                f"as {_shown(array[~(array == np.round(array))][:3].tolist())}. Labels are "
                "never rounded: pass the class indices themselves."
            )
        array = array.astype(np.int64)
    elif np.issubdtype(array.dtype, np.integer):
        array = array.astype(np.int64)
    else:
        raise InvalidInputError(
            f"{name} must hold integer class indices, got dtype {array.dtype} "
            f"({_shown(array[:3].tolist())}...). Map names to indices first, e.g. "
            "[classes.index(name) for name in names]."
        )
    if n_classes is not None and array.size:
        low, high = int(array.min()), int(array.max())
        if low < 0 or high >= n_classes:
            raise InvalidInputError(
                f"{name} has labels in [{low}, {high}] but must lie in [0, {n_classes - 1}] "
                f"({n_classes} classes)."
            )
    return array


def check_probabilities(name: str, value: Any, *, n_rows: int | None = None) -> np.ndarray:
    """A 2-D ``(N, K)`` float array of probabilities: finite, each in ``[0, 1]``.

    NaN rows (a model that diverged) are refused rather than scored, and a flat ``(N,)`` output is
    refused with the shape a classifier must return.
    """
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidInputError(
            f"{name} must be an (N, K) array of probabilities, got {type(value).__name__}."
        ) from None
    if array.ndim != 2:
        raise InvalidInputError(
            f"{name} must be an (N, K) array of probabilities (one row per example, one column "
            f"per class), got shape {array.shape}."
        )
    if n_rows is not None and array.shape[0] != n_rows:
        raise InvalidInputError(f"{name} has {array.shape[0]} rows for {n_rows} examples.")
    if not np.isfinite(array).all():
        bad = int((~np.isfinite(array)).any(axis=1).sum())
        raise InvalidInputError(
            f"{name} holds NaN or inf in {bad} of {array.shape[0]} rows: the model's output is "
            "not a probability (did training diverge? check the model and its input scale)."
        )
    if array.size and (array.min() < -1e-6 or array.max() > 1 + 1e-6):
        raise InvalidInputError(
            f"{name} must lie in [0, 1], got values in [{array.min():.3g}, {array.max():.3g}]; "
            "apply a softmax to logits first."
        )
    return array


def check_callable(name: str, value: Any, what: str) -> Any:
    """``value`` if callable (a factory, a function), else an error naming ``what`` to pass."""
    if not callable(value):
        raise InvalidInputError(
            f"{name} must be {what}, got {_shown(value)} ({type(value).__name__})."
        )
    return value


def check_bool(name: str, value: Any) -> bool:
    """``value`` if it is ``True`` or ``False`` (a string such as ``'no'`` is truthy in Python)."""
    if not isinstance(value, bool | np.bool_):
        raise InvalidInputError(
            f"{name} must be True or False, got {_shown(value)} ({type(value).__name__})."
        )
    return bool(value)
