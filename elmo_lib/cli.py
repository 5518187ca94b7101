"""Command line `elmo-lib` (also `python -m elmo_lib`): data check|download, static, pretrain, elmo, bench pretrain."""
from __future__ import annotations

import argparse
import ast
import dataclasses
import os
import sys
import time
from typing import Sequence

import numpy as np

from elmo_lib.config import DataConfig, get_profile, PROFILES
from elmo_lib.checkpoint import CheckpointError
from elmo_lib.data import CLASS_NAMES, DataError, read_news, resolve_data_dir


def _value(text: str):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def parse_overrides(pairs: Sequence[str]) -> dict:
    """Return {"section.field": value} from KEY=VALUE strings (values parsed as Python literals)."""
    overrides = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"--set expects KEY=VALUE, got {pair!r}")
        overrides[key.strip()] = _value(value.strip())
    return overrides


def data_check(args: argparse.Namespace) -> int:
    """Print rows per split and class, token counts and the vocabulary size; return the exit code."""
    from elmo_lib.corpus import tokenize_all
    from elmo_lib.vocab import Vocabulary

    folder = resolve_data_dir(args.data_dir)
    news = read_news(folder, args.text_field, args.skip_bad_rows)
    print(f"AG News folder: {folder}  (text: {args.text_field})")
    tokens = {}
    for split, rows in news.items():
        counts = np.bincount(rows.labels, minlength=len(CLASS_NAMES))
        tokens[split] = tokenize_all(rows.texts)
        n_tokens = sum(len(t) for t in tokens[split])
        per_class = ", ".join(f"{name} {count:,}" for name, count in zip(CLASS_NAMES, counts))
        print(f"{split}: {len(rows):,} rows ({per_class}); {n_tokens:,} tokens, "
              f"{n_tokens / len(rows):.1f} per row")
        if rows.skipped:
            shown = ", ".join(f"line {b.line} ({b.reason})" for b in rows.skipped[:20])
            more = f" and {len(rows.skipped) - 20} more" if len(rows.skipped) > 20 else ""
            print(f"{split}: skipped {len(rows.skipped)} bad rows: {shown}{more}")
    vocab = Vocabulary.build(tokens["train"], args.min_freq, args.max_size)
    test_tokens = [t for doc in tokens["test"] for t in doc]
    unknown = sum(t not in vocab.stoi for t in test_tokens) / max(len(test_tokens), 1)
    print(f"vocabulary (train, min_freq={args.min_freq}, max_size={args.max_size}): {len(vocab):,} "
          f"ids incl. 4 specials; test tokens outside it: {unknown:.2%}")
    return 0


def data_download(args: argparse.Namespace) -> int:
    """Download the canonical CSVs into the data folder; return the exit code."""
    from elmo_lib.download import download_ag_news
    download_ag_news(resolve_data_dir(args.data_dir))
    return 0


def static(args: argparse.Namespace) -> int:
    """Train one static embedding and its classifier, print test accuracy; return the exit code."""
    from elmo_lib.study import Study

    result = Study(_profile(args), args.out).static(args.method)
    print(f"{args.method}: window {result['settings']['embedding']['window']}, "
          f"test accuracy {result['test']['accuracy']:.4f}")
    return 0


def _profile(args: argparse.Namespace):
    profile = get_profile(args.profile, parse_overrides(args.set))
    if args.data_dir:
        profile = dataclasses.replace(profile, data=dataclasses.replace(profile.data, data_dir=args.data_dir))
    return profile


def pretrain(args: argparse.Namespace) -> int:
    """Pretrain the biLM (also under torchrun), optionally resuming; return the exit code."""
    from elmo_lib.io import write_json
    from elmo_lib.pretrain import pretrain_bilm
    from elmo_lib.study import Study

    study = Study(_profile(args), args.out)
    path = args.checkpoint or study.bilm_checkpoint()
    profile = study.profile
    result = pretrain_bilm(study.corpus, profile.bilm, profile.pretrain, path, resume=args.resume,
                           max_steps=args.max_steps)
    if int(os.environ.get("RANK", "0")) == 0:
        if args.log_json:
            write_json(args.log_json, {"epochs": result.epochs, "steps": result.steps, "finished": result.finished})
        state = "finished" if result.finished else f"stopped after step {args.max_steps}"
        print(f"biLM {state}; checkpoint {path}")
    return 0


def elmo(args: argparse.Namespace) -> int:
    """Pretrain or reuse the biLM and train the classifier in each mixing mode; return the exit code."""
    from elmo_lib.study import Study

    study = Study(_profile(args), args.out)
    for mode in args.mode or study.profile.elmo.modes:
        print(f"elmo_{mode}: test accuracy {study.elmo(mode)['test']['accuracy']:.4f}")
    return 0


def bench_pretrain(args: argparse.Namespace) -> int:
    """Run the naive-versus-ours pretraining benchmark; return the exit code."""
    from elmo_lib.bench import run_pretrain_benchmark

    run_pretrain_benchmark(_profile(args), budget_seconds=args.budget, json_path=args.json)
    return 0


def report(args: argparse.Namespace) -> int:
    """Run the notebooks and render report/; return the exit code (1 naming the notebook and cell on failure)."""
    from pathlib import Path

    from elmo_lib.notebook import default_artifacts, default_profile_name
    from elmo_lib.report_build import ReportError, build_report

    profile = args.profile
    if profile == "auto":
        profile = default_profile_name()
        print(f"profile: {profile} (auto: {'CUDA found' if profile == 'full' else 'no CUDA'})")
    overrides = parse_overrides(args.set)
    if args.data_dir:
        overrides["data.data_dir"] = args.data_dir
    get_profile(profile, overrides)  # fail fast on unknown settings
    started = time.perf_counter()
    try:
        timings = build_report(profile, overrides, Path(args.artifacts) if args.artifacts else default_artifacts(),
                               Path(args.out), Path(args.notebooks), args.kernel, pdf=not args.no_pdf)
    except ReportError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"report written to {args.out}/index.html, report.pdf, metrics.json in {time.perf_counter() - started:.0f} s "
          f"(notebooks: {', '.join(f'{k} {v:.0f} s' for k, v in timings.items())})")
    return 0


def _add_profile_arguments(parser: argparse.ArgumentParser, default_profile: str = "cpu") -> None:
    parser.add_argument("--profile", default=default_profile, choices=sorted(PROFILES))
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a setting, e.g. pretrain.epochs=2 (repeatable)")
    parser.add_argument("--data-dir", help="folder with train.csv and test.csv (default: $AG_NEWS_DIR or data/ag_news)")


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the `elmo-lib` command."""
    parser = argparse.ArgumentParser(prog="elmo-lib", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    data = commands.add_parser("data", help="check or download the AG News CSVs")
    data_commands = data.add_subparsers(dest="data_command", required=True)
    check = data_commands.add_parser("check", help="print rows, classes, tokens and vocabulary size")
    check.add_argument("--data-dir", help="folder with train.csv and test.csv (default: $AG_NEWS_DIR or data/ag_news)")
    check.add_argument("--text-field", default=DataConfig.text_field, choices=["description", "title+description"])
    check.add_argument("--min-freq", type=int, default=2)
    check.add_argument("--max-size", type=int, default=None)
    check.add_argument("--skip-bad-rows", action="store_true", help="skip bad rows and list them instead of failing")
    check.set_defaults(func=data_check)
    download = data_commands.add_parser("download", help="download the canonical CSVs and check their MD5s")
    download.add_argument("--data-dir")
    download.set_defaults(func=data_download)

    stat = commands.add_parser("static", help="train SVD or skip-gram embeddings and the shared classifier")
    stat.add_argument("method", choices=["svd", "skipgram"])
    _add_profile_arguments(stat)
    stat.add_argument("--out", default="artifacts", help="artifacts folder (results go under <stage>/<settings hash>/)")
    stat.set_defaults(func=static)

    pre = commands.add_parser("pretrain", help="pretrain the biLM (works under torchrun --nproc_per_node=N)")
    _add_profile_arguments(pre)
    pre.add_argument("--out", default="artifacts", help="artifacts folder (results go under <stage>/<settings hash>/)")
    pre.add_argument("--checkpoint", help="checkpoint path (default: keyed by the settings under --out)")
    pre.add_argument("--resume", action="store_true", help="continue exactly from the checkpoint if it exists")
    pre.add_argument("--max-steps", type=int, help="stop (after checkpointing) once this many steps are done")
    pre.add_argument("--log-json", help="write per-step losses and per-epoch perplexities here")
    pre.set_defaults(func=pretrain)

    el = commands.add_parser("elmo", help="pretrain or reuse the biLM, then classify in each mixing mode")
    _add_profile_arguments(el)
    el.add_argument("--out", default="artifacts", help="artifacts folder (results go under <stage>/<settings hash>/)")
    el.add_argument("--mode", action="append", choices=["trainable", "frozen", "function"],
                    help="only these modes (repeatable; default: all three)")
    el.set_defaults(func=elmo)

    rep = commands.add_parser("report", help="run the notebooks with papermill and render report/ (HTML, PDF, metrics.json)")
    rep.add_argument("--profile", default="auto", choices=["auto", *sorted(PROFILES)],
                     help="auto: full when CUDA is available, else cpu")
    rep.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    rep.add_argument("--data-dir")
    rep.add_argument("--artifacts", help="artifacts folder (default: $ELMO_ARTIFACTS or ./artifacts)")
    rep.add_argument("--out", default="report")
    rep.add_argument("--notebooks", default="notebooks")
    rep.add_argument("--kernel", default=None, help="Jupyter kernel (default: the notebooks' own, elmo-lib)")
    rep.add_argument("--no-pdf", action="store_true", help="skip the PDF (no Chromium needed)")
    rep.set_defaults(func=report)

    bench = commands.add_parser("bench", help="benchmarks")
    bench_commands = bench.add_subparsers(dest="bench_command", required=True)
    bp = bench_commands.add_parser("pretrain", help="naive reference versus our biLM pretraining, same data and budget")
    _add_profile_arguments(bp)
    bp.add_argument("--budget", type=float, default=180.0, help="wall-clock seconds of training for each (default 180)")
    bp.add_argument("--json", help="also write the figures to this JSON file")
    bp.set_defaults(func=bench_pretrain)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return its exit code (2 on input errors, with the message on stderr)."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except DataError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except (KeyError, CheckpointError) as err:
        print(f"error: {err.args[0]}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
