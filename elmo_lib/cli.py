"""Command line: `elmo-lib data check|download`, `elmo-lib static svd|skipgram` (also `python -m elmo_lib`)."""
from __future__ import annotations

import argparse
import ast
import dataclasses
import sys
from typing import Sequence

import numpy as np

from elmo_lib.config import DataConfig, get_profile, PROFILES
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
    from elmo_lib.corpus import build_corpus
    from elmo_lib.static_study import run_static

    profile = get_profile(args.profile, parse_overrides(args.set))
    if args.data_dir:
        profile = dataclasses.replace(profile, data=dataclasses.replace(profile.data, data_dir=args.data_dir))
    corpus = build_corpus(profile.data, profile.vocab)
    result = run_static(args.method, corpus, profile, args.out)
    print(f"{args.method}: window {result['settings']['embedding']['window']}, "
          f"test accuracy {result['test']['accuracy']:.4f} -> {args.out}/{args.method}/metrics.json")
    return 0


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
    stat.add_argument("--profile", default="cpu", choices=sorted(PROFILES))
    stat.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                      help="override a setting, e.g. classifier.hidden=64 (repeatable)")
    stat.add_argument("--data-dir")
    stat.add_argument("--out", default="artifacts/static")
    stat.set_defaults(func=static)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return its exit code (2 on input errors, with the message on stderr)."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except DataError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyError as err:
        print(f"error: {err.args[0]}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
