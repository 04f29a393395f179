"""The book's own applications (floor 7): result tables and the PrivateTest ledger, the notebook
runner, the headline-model training command, and chapter scaffolding. Nothing in the library's
floors imports this package.
"""

from emostudy.book.api_page import render_api_page, write_api_page
from emostudy.book.headline import (
    HEADLINE_TRAIN_IMAGES,
    PACKAGE_NAMES,
    RECIPES,
    describe_estimate,
    estimate_training_time,
    package_headline,
    render_model_card,
    train_headline,
)
from emostudy.book.landing import landing_figure
from emostudy.book.recognizer_study import (
    CanvasDetections,
    CanvasSpec,
    bin_at,
    classify_detected,
    compose_frame,
    crops_for_candidates,
    detect_on_canvases,
    face_patches,
    ferplus_majority,
    in_the_loop_scores,
    label_counts,
    paired_by_label_set,
    place_on_canvas,
    recall_intervals,
    recorded_reliability,
    scores_by_label_set,
    slideshow_frames,
    to_label_space,
    write_video,
)
from emostudy.book.results import (
    LEDGER_NAME,
    load_privatetest_ledger,
    load_results,
    record_privatetest,
    save_results,
    to_plain,
)
from emostudy.book.results_page import (
    load_tables,
    render_headline,
    render_results_page,
    write_pages,
)
from emostudy.book.run_times import chapter_run_times, render_run_times, write_run_times
from emostudy.book.runner import list_notebooks, notebooks_dir, regenerate, run_notebook

__all__ = [
    "landing_figure",
    "load_tables",
    "render_headline",
    "render_results_page",
    "write_pages",
    "chapter_run_times",
    "render_run_times",
    "write_run_times",
    "render_api_page",
    "write_api_page",
    "HEADLINE_TRAIN_IMAGES",
    "CanvasDetections",
    "CanvasSpec",
    "compose_frame",
    "crops_for_candidates",
    "describe_estimate",
    "detect_on_canvases",
    "estimate_training_time",
    "face_patches",
    "in_the_loop_scores",
    "bin_at",
    "classify_detected",
    "ferplus_majority",
    "label_counts",
    "paired_by_label_set",
    "recall_intervals",
    "recorded_reliability",
    "scores_by_label_set",
    "to_label_space",
    "LEDGER_NAME",
    "list_notebooks",
    "load_privatetest_ledger",
    "load_results",
    "notebooks_dir",
    "package_headline",
    "PACKAGE_NAMES",
    "place_on_canvas",
    "RECIPES",
    "record_privatetest",
    "regenerate",
    "render_model_card",
    "run_notebook",
    "save_results",
    "to_plain",
    "slideshow_frames",
    "train_headline",
    "write_video",
]
