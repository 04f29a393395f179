"""Training an emotion model on the FER+ votes, CPU-aware: a frozen trunk, fine-tuned last blocks.

One float32 epoch of the whole VGG-lite v3 network over FER-2013 ``Training`` takes about 20
minutes on a 2-core AVX2 CPU without bfloat16 units. This package fine-tunes **fewer layers**
instead:

1. the first conv blocks of a shipped model (``fer2013_vgg_lite_v3``) stay frozen, up to the layer
   ``cut`` (by default the input of the last block, ``(5, 5, 192)`` for v3; the shipped default
   ``ferplus_vgg_lite_v6`` cut at ``max_pooling2d_1``, ``(11, 11, 96)``, and trained the last two);
   their output is computed once per face and *view* and cached (:func:`extract_features`): the
   centre 44-pixel window and its mirror, plus a few randomly shifted (and randomly mirrored)
   windows as augmentation;
2. the blocks after the cut (weights copied from the shipped model, trainable) and a new
   classification head with 7 or 8 outputs are trained on the cached activations
   (:func:`train_head`), against the vote shares (soft cross-entropy, the FER+ paper's best
   scheme) or the majority label, with early stopping on PublicTest's majority accuracy
   (flip-averaged) and checkpoints; the ``select`` stage ships the most accurate candidate
   unless the shipped one cannot be told apart from it (:func:`choose_candidate`);
3. :func:`assemble_model` joins trunk and trained block into one network that takes whole 48x48
   faces (``to_model_input`` scaling), optionally with a temperature baked into the last layer.

The modules, one job each: :mod:`~emostudy.book.votes.views` (which windows are cached),
:mod:`~emostudy.book.votes.features` (the frozen trunk and the ``features`` stage),
:mod:`~emostudy.book.votes.heads` (the trained block and head, the ``train`` stage),
:mod:`~emostudy.book.votes.scoring` (scores, calibration, the ``select`` stage),
:mod:`~emostudy.book.votes.ship` (the ``ship`` stage), :mod:`~emostudy.book.votes.card` (the
Markdown model card) and ``__main__`` (``python -m emostudy.book.votes
features|train|select|ship|all --work DIR``).

Everything here imports public names only, so the package can move into a ``training``
package.
"""

from emostudy.book.votes.card import render_card
from emostudy.book.votes.features import (
    DEFAULT_CUT,
    INPUT_CUT,
    build_trunk,
    extract_features,
    stage_features,
)
from emostudy.book.votes.heads import (
    HeadConfig,
    assemble_model,
    build_head,
    flip_logits,
    stage_train,
    train_head,
    training_targets,
)
from emostudy.book.votes.scoring import (
    CANDIDATES,
    REPLACE_BELOW_P,
    candidate_label,
    candidate_row,
    choose_candidate,
    frozen_blocks,
    incumbent_name,
    score_logits,
    stage_select,
)
from emostudy.book.votes.ship import stage_ship
from emostudy.book.votes.views import CROP, Views, centre_and_flip, crop_view, training_views

__all__ = [
    "CROP",
    "Views",
    "centre_and_flip",
    "crop_view",
    "training_views",
    "DEFAULT_CUT",
    "INPUT_CUT",
    "build_trunk",
    "extract_features",
    "stage_features",
    "HeadConfig",
    "assemble_model",
    "build_head",
    "flip_logits",
    "stage_train",
    "train_head",
    "training_targets",
    "CANDIDATES",
    "REPLACE_BELOW_P",
    "candidate_label",
    "candidate_row",
    "choose_candidate",
    "frozen_blocks",
    "incumbent_name",
    "score_logits",
    "stage_select",
    "stage_ship",
    "render_card",
]
