"""Every figure of the book, by subject (floor 6, a leaf: nothing in the library imports it).

``import emostudy.plots`` is light: each function loads its module, and matplotlib, on first use.
Functions take ``ax=None`` (draw on this axis, or make a figure) where a single axis serves.
"""

from emostudy._lazy import lazy_attributes

#: Public names, each loaded (with matplotlib) on first use from its module.
_HOMES = {
    "plot_decision_regions": "emostudy.plots.images",
    "show_images": "emostudy.plots.images",
    "plot_curve": "emostudy.plots.curves",
    "plot_histories": "emostudy.plots.curves",
    "plot_learning_curve": "emostudy.plots.curves",
    "plot_train_val": "emostudy.plots.curves",
    "plot_confusion": "emostudy.plots.classification",
    "plot_reliability": "emostudy.plots.calibration",
    "row_normalise": "emostudy.plots.classification",
    "detection_grid": "emostudy.plots.detection",
    "draw_detections": "emostudy.plots.detection",
    "plot_track": "emostudy.plots.recognition",
    "show_recognition": "emostudy.plots.recognition",
    "plot_fold_accuracies": "emostudy.plots.transfer",
    "plot_landmarks": "emostudy.plots.transfer",
    "plot_recall_table": "emostudy.plots.transfer",
    "plot_entropy_by_class": "emostudy.plots.votes",
    "plot_label_agreement": "emostudy.plots.votes",
    "show_votes_gallery": "emostudy.plots.votes",
}

__all__ = sorted(_HOMES)


__getattr__, __dir__ = lazy_attributes(__name__, _HOMES)
