"""Silencing library output: native stderr (TensorFlow, MediaPipe) and progress bars (floor 0)."""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import os
import sys
import warnings


@contextlib.contextmanager
def native_stderr_silenced():
    """Redirect file descriptor 2 to ``/dev/null`` inside the block (no-op if that fails)."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
    except (OSError, AttributeError, ValueError):
        yield
        return
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def quiet_unless(progress: bool) -> dict[str, bool]:
    """tqdm arguments: off when ``progress`` is False, else tqdm's defaults (which honour
    ``TQDM_DISABLE=1``, set by the notebook runner)."""
    return {} if progress else {"disable": True}


@contextlib.contextmanager
def python_output_silenced(*loggers: str):
    """Inside the block: no Python warnings, nothing printed to ``sys.stdout``, and the named
    loggers at ERROR (for chatty dependencies: the ``fer`` package, TensorFlow's converter);
    their levels are restored afterwards."""
    saved = {name: logging.getLogger(name).level for name in loggers}
    for name in loggers:
        logging.getLogger(name).setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


@contextlib.contextmanager
def tensorflow_warnings_silenced():
    """TensorFlow's Python logger at ERROR inside the block (e.g. the "triggered tf.function
    retracing" warning when every fold of a cross-validation builds a new model by design)."""
    import tensorflow as tf

    logger = tf.get_logger()
    level = logger.level
    logger.setLevel("ERROR")
    try:
        yield
    finally:
        logger.setLevel(level)


@functools.cache
def import_tensorflow():
    """TensorFlow, imported once with its native start-up notices silenced; returns the module.

    TensorFlow's C++ runtime writes a dozen lines to file descriptor 2 when it loads and finds its
    devices (the absl pre-init notice, "could not find cuda drivers", the CPU-feature notice,
    ``failed call to cuInit``), which ``TF_CPP_MIN_LOG_LEVEL`` does not stop. Every module of
    emostudy that needs TensorFlow or Keras imports it through this function (or
    :func:`import_keras`), so that the first import happens here, quietly.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with native_stderr_silenced():
        import tensorflow as tf

        tf.config.list_physical_devices()  # device discovery (cuInit) happens here, quietly
    return tf


def import_keras():
    """Keras, after :func:`import_tensorflow`; returns the module."""
    import_tensorflow()
    import keras

    return keras
