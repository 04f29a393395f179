"""Training on several machines: TensorFlow's multi-worker strategy, driven by ``TF_CONFIG``.

Every worker runs the *same* command; the environment variable ``TF_CONFIG`` tells each one the
cluster (``host:port`` of every worker) and which worker it is::

    TF_CONFIG='{"cluster": {"worker": ["host0:12345", "host1:12345"]},
                "task": {"type": "worker", "index": 0}}' \\
        emostudy headline train --out runs/headline

:func:`multiworker_strategy` turns that into a ``tf.distribute.MultiWorkerMirroredStrategy``
(synchronous data parallelism: each step, every worker computes gradients on its share of the
global batch and the gradients are all-reduced, so all workers keep identical weights). Worker 0
is the chief and writes to the run folder; the others write to ``worker-<i>`` inside it
(:func:`worker_out_dir`), so that logs and checkpoints never collide.
:func:`launch_local_workers` starts such a cluster on this machine, for tests and the book.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from emostudy.errors import InvalidInputError, SettingsError


def is_multiworker(strategy) -> bool:
    """Whether ``strategy`` is a ``MultiWorkerMirroredStrategy`` (several processes or machines)."""
    import tensorflow as tf

    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)


def build_from_local_batch(model) -> None:
    """Let ``model.fit`` start under ``MultiWorkerMirroredStrategy`` with Keras 3.

    Before training, Keras' TensorFlow trainer builds the model's metrics and optimiser from one
    batch, which it averages across all replicas with ``strategy.reduce``; under the multi-worker
    strategy that reduce fails outside a ``tf.function`` ("Attempt to convert a value
    (PerReplica ...)", keras-team/keras#20585). Only the batch's shapes matter for the build, so
    this model builds from this worker's own share of the batch instead. Everything else (the
    all-reduced gradients, the synchronised weights) is Keras' and TensorFlow's.
    """
    import tensorflow as tf

    def local(value):
        if isinstance(value, tf.distribute.DistributedValues):
            return model.distribute_strategy.experimental_local_results(value)[0]
        return value

    def build(iterator=None, data_batch=None):
        if iterator is not None:
            for _, _, batches in iterator:
                data_batch = tf.nest.map_structure(local, next(batches))
                break
        with model.distribute_strategy.scope():
            model._symbolic_build(data_batch=data_batch)

    model._maybe_symbolic_build = build


@contextlib.contextmanager
def scalar_metric_reduction():
    """Average per-replica *scalar* metrics across workers as TensorFlow intends.

    Keras 3's TensorFlow trainer averages each step's metrics over the replicas of a
    multi-worker strategy with ``strategy.reduce("MEAN", value, axis=0)``, which fails for the
    scalar loss and accuracy ("Invalid reduction dimension 0 for input with 0 dimensions",
    keras-team/keras#20585). Inside this context scalars are reduced with ``axis=None`` (the
    mean over replicas); tensors with a batch axis keep Keras' own reduction.
    """
    from keras.src.backend.tensorflow import trainer as tf_trainer

    original = tf_trainer.reduce_per_replica

    def reduce_per_replica(values, strategy, reduction):
        import tensorflow as tf

        if reduction in ("auto", "mean"):

            def mean(value):
                local = value.values[0] if hasattr(value, "values") else value
                if getattr(local, "shape", None) is not None and local.shape.rank == 0:
                    return strategy.reduce("MEAN", value, axis=None)
                return original(value, strategy, reduction)

            return tf.nest.map_structure(mean, values)
        return original(values, strategy, reduction)

    tf_trainer.reduce_per_replica = reduce_per_replica
    try:
        yield
    finally:
        tf_trainer.reduce_per_replica = original


def tf_config_task() -> tuple[str, int] | None:
    """``(task type, index)`` from ``TF_CONFIG``, or None when it is unset or has no cluster.

    A malformed ``TF_CONFIG`` gets a clear :class:`~emostudy.errors.SettingsError`.
    """
    raw = os.environ.get("TF_CONFIG", "").strip()
    if not raw:
        return None
    try:
        config = json.loads(raw)
        cluster, task = config.get("cluster", {}), config.get("task", {})
        if not cluster:
            return None
        kind, index = str(task["type"]), int(task["index"])
        if kind not in cluster or not 0 <= index < len(cluster[kind]):
            raise KeyError(kind)
    except (json.JSONDecodeError, AttributeError, KeyError, TypeError, ValueError):
        raise SettingsError(
            f"TF_CONFIG is not a valid cluster description: {raw[:200]!r}. Expected "
            '{"cluster": {"worker": ["host0:port", "host1:port"]}, '
            '"task": {"type": "worker", "index": 0}}, or unset it to train on one machine.'
        ) from None
    return kind, index


def is_chief() -> bool:
    """True on a single machine, and on worker 0 (or the ``chief`` task) of a cluster."""
    task = tf_config_task()
    return task is None or task[0] == "chief" or (task[0] == "worker" and task[1] == 0)


def worker_out_dir(out_dir: str | os.PathLike) -> Path:
    """The run folder this process writes to: ``out_dir`` on the chief, ``out_dir/worker-<i>``
    on every other worker of a ``TF_CONFIG`` cluster."""
    task = tf_config_task()
    if is_chief():
        return Path(out_dir)
    return Path(out_dir) / f"{task[0]}-{task[1]}"


def multiworker_strategy():
    """A ``MultiWorkerMirroredStrategy`` when ``TF_CONFIG`` describes a cluster, else None.

    Call it before anything else touches TensorFlow: the strategy must start the process's
    collective runtime. Every worker must call it, and training waits until all have joined.
    """
    if tf_config_task() is None:
        return None
    import tensorflow as tf

    return tf.distribute.MultiWorkerMirroredStrategy()


def free_ports(n: int) -> list[int]:
    """``n`` TCP ports on localhost that are free now (asked of the operating system)."""
    sockets = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("localhost", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@dataclass(frozen=True)
class WorkerRun:
    """What one worker process of :func:`launch_local_workers` did."""

    index: int
    returncode: int
    output: str  # its standard output and error, interleaved


def launch_local_workers(
    args: list[str],
    *,
    n_workers: int = 2,
    timeout: float = 600.0,
    env: dict[str, str] | None = None,
) -> list[WorkerRun]:
    """Run ``python <args>`` as a ``n_workers``-worker TensorFlow cluster on this machine.

    Each process gets the same ``args`` and its own ``TF_CONFIG`` (localhost ports from
    :func:`free_ports`); the call waits for all of them.

    Parameters
    ----------
    args
        Arguments after ``python``, e.g. ``["-m", "emostudy.book.headline", "train", ...]``.
    n_workers
        Worker processes (at least 2).
    timeout
        Seconds to wait for all workers; on expiry every worker is killed and a
        ``TimeoutError`` names the timeout.
    env
        Extra environment variables for every worker.

    Returns
    -------
    list of WorkerRun
        One per worker, in index order, with its return code and output.
    """
    if not isinstance(n_workers, int) or n_workers < 2:
        raise InvalidInputError(f"n_workers must be an int of at least 2, got {n_workers!r}.")
    hosts = [f"localhost:{port}" for port in free_ports(n_workers)]
    processes = []
    for index in range(n_workers):
        worker_env = {**os.environ, **(env or {})}
        worker_env["TF_CONFIG"] = json.dumps(
            {"cluster": {"worker": hosts}, "task": {"type": "worker", "index": index}}
        )
        processes.append(
            subprocess.Popen(
                [sys.executable, *args],
                env=worker_env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    runs = []
    deadline = time.monotonic() + timeout
    try:
        for index, process in enumerate(processes):
            output, _ = process.communicate(timeout=max(0.0, deadline - time.monotonic()))
            runs.append(WorkerRun(index, process.returncode, output))
    except subprocess.TimeoutExpired:
        for process in processes:
            process.kill()
        raise TimeoutError(
            f"The {n_workers} workers did not finish within {timeout:.0f} s; "
            "raise timeout= or check that the workers can reach each other."
        ) from None
    return runs
