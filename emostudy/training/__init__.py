"""Training Keras models (floor 4): configuration, the input pipeline, callbacks, the loop,
precision, multi-worker training, the headline recipes, experiments over variants, and timing.

>>> from emostudy.training import TrainConfig, train
>>> result = train(build, (x, y), (x_val, y_val), TrainConfig(epochs=20))  # doctest: +SKIP

It builds on ``models`` (architectures, the model input and prediction) and ``evaluation``;
TensorFlow loads only inside the functions that need it.
"""

from emostudy._lazy import lazy_attributes
from emostudy.training.config import (
    OPTIMIZERS,
    PRECISIONS,
    SCHEDULES,
    Augmentation,
    TrainConfig,
    TrainResult,
)
from emostudy.training.distributed import (
    WorkerRun,
    free_ports,
    is_chief,
    launch_local_workers,
    multiworker_strategy,
    tf_config_task,
    worker_out_dir,
)
from emostudy.training.experiments import (
    TRAIN_EVAL_COLUMN,
    VAL_CROSSENTROPY_COLUMN,
    Experiment,
    Variant,
    accuracy_of,
    changes_between_runs,
    describe_changes_between_runs,
    describe_paired_tests,
    paired_test_verdicts,
    paired_tests,
    run_variants,
    stratified_prefix_order,
)
from emostudy.training.loop import set_seed, sitting_seed, train
from emostudy.training.pipeline import make_augmenter, make_dataset
from emostudy.training.precision import as_float32, precision_policy
from emostudy.training.recipes import GENERATIONS, HEADLINE, HEADLINE_V3, HEADLINE_V4, Recipe
from emostudy.training.timing import compare_training_cost, time_training_epoch

#: Keras callbacks, loaded (with Keras) on first use: ``import emostudy.training`` stays light.
_LAZY = {name: "emostudy.training.callbacks" for name in ("EpochMetrics", "EpochTimer")}

__all__ = [
    *_LAZY,
    "accuracy_of",
    "as_float32",
    "Augmentation",
    "changes_between_runs",
    "describe_changes_between_runs",
    "compare_training_cost",
    "describe_paired_tests",
    "TRAIN_EVAL_COLUMN",
    "VAL_CROSSENTROPY_COLUMN",
    "Experiment",
    "free_ports",
    "GENERATIONS",
    "HEADLINE",
    "HEADLINE_V3",
    "HEADLINE_V4",
    "is_chief",
    "launch_local_workers",
    "make_augmenter",
    "make_dataset",
    "multiworker_strategy",
    "OPTIMIZERS",
    "paired_test_verdicts",
    "paired_tests",
    "precision_policy",
    "PRECISIONS",
    "Recipe",
    "run_variants",
    "SCHEDULES",
    "set_seed",
    "sitting_seed",
    "stratified_prefix_order",
    "tf_config_task",
    "time_training_epoch",
    "train",
    "TrainConfig",
    "TrainResult",
    "Variant",
    "worker_out_dir",
    "WorkerRun",
]

__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)
