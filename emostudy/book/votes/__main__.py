"""The command line: ``python -m emostudy.book.votes features|train|select|ship|all --work DIR``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import emostudy.book.votes as package
from emostudy.book.votes.features import DEFAULT_CUT, stage_features
from emostudy.book.votes.heads import stage_train
from emostudy.book.votes.scoring import stage_select
from emostudy.book.votes.ship import stage_ship


def _shipped_card() -> dict:
    """The card of the package's default model: the incumbent a challenger must beat."""
    from emostudy.models.pretrained import DEFAULT_EMOTION_MODEL, model_card

    return model_card(DEFAULT_EMOTION_MODEL)


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m emostudy.book.votes features|train|... --work DIR``."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m emostudy.book.votes", description=package.__doc__.splitlines()[0]
    )
    parser.add_argument("stage")
    parser.add_argument("--work", required=True)
    parser.add_argument("--candidates", default="")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--learning-rate", type=float, default=None)
    parser.add_argument("--class-balance", type=float, default=None)
    parser.add_argument("--name", default="")
    parser.add_argument("--n-random", type=int, default=1)
    parser.add_argument("--cut", default=DEFAULT_CUT)
    parser.add_argument("--also", default="", help="more work folders for select (commas)")
    parser.add_argument("--model-name", default="ferplus_vgg_lite_v6")
    parser.add_argument("--results", default="book/results")
    parser.add_argument("--dry-run-dir", default="")
    args = parser.parse_args(argv)
    if args.stage == "features":
        stage_features(args.work, n_random=args.n_random, cut=args.cut)
    elif args.stage == "train":
        stage_train(
            args.work,
            candidates=args.candidates.split(","),
            epochs=args.epochs,
            learning_rate=args.learning_rate,
            class_balance=args.class_balance,
        )
    elif args.stage == "all":
        stage_train(args.work, candidates=args.candidates.split(","), epochs=args.epochs)
        chosen = stage_select(args.work, results_dir=args.results, shipped_card=_shipped_card())[
            "chosen_head"
        ]
        stage_ship(
            args.work,
            name=chosen,
            results_dir=args.results,
            weights_dir="emostudy/models/weights",
            onnx_dir="emostudy/models/weights",
            model_name=args.model_name,
        )
    elif args.stage == "select":
        also = [part for part in args.also.split(",") if part]
        selection = stage_select(
            args.work, results_dir=args.results, also=also, shipped_card=_shipped_card()
        )
        print(selection["chosen"], selection["challenge"] or "")
    elif args.stage == "ship" and args.dry_run_dir:
        dry = Path(args.dry_run_dir)
        stage_ship(
            args.work,
            name=args.name,
            results_dir=dry / "results",
            weights_dir=dry / "weights",
            onnx_dir=dry / "onnx",
            report_usage="PublicTest",
            limit=400,
            model_name=args.model_name,
        )
    elif args.stage == "ship":
        stage_ship(
            args.work,
            name=args.name,
            results_dir=args.results,
            weights_dir="emostudy/models/weights",
            onnx_dir="emostudy/models/weights",
            model_name=args.model_name,
        )
    else:
        raise SystemExit(f"unknown stage {args.stage!r}")


if __name__ == "__main__":
    main()
