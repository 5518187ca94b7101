"""Command line `elmo-lib` (also `python -m elmo_lib`): data check|download, static, pretrain, elmo, bench pretrain."""
from __future__ import annotations

import argparse
import errno
import io
import os
import sys
import time
from pathlib import Path
from typing import Sequence

import numpy as np

from elmo_lib import registry
from elmo_lib.checkpoint import BILM_STATE, CheckpointError
from elmo_lib.config import PROFILES, DataConfig, get_profile, parse_overrides
from elmo_lib.data import CLASS_NAMES, DataError, read_news, resolve_data_dir
from elmo_lib.embeddings.mixing import MIX_MODES
from elmo_lib.errors import TrainingError
from elmo_lib.io import atomic_path
from elmo_lib.predict import PredictError
from elmo_lib.registry import BASELINES, BILM_ARMS, STATIC_METHODS, elmo_key


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
    result = _study(args).static(args.method)
    window = result["settings"].get("embedding", {}).get("window")
    print(f"{args.method}: {f'window {window}, ' if window else ''}test accuracy {result['test']['accuracy']:.4f}")
    return 0


def profile_overrides(args: argparse.Namespace) -> dict:
    """Return the checked overrides of --set and --data-dir, the data folder made absolute (against the
    folder the command runs in), so notebooks running elsewhere read the same files."""
    overrides = parse_overrides(args.set)
    data_dir = args.data_dir or overrides.get("data.data_dir")
    overrides["data.data_dir"] = str(resolve_data_dir(data_dir))
    return overrides


def profile_name(args: argparse.Namespace) -> str:
    """Return --profile, with "auto" resolved (full on CUDA, else cpu) and announced."""
    if args.profile != "auto":
        return args.profile
    from elmo_lib.notebook import default_profile_name
    name = default_profile_name()
    print(f"profile: {name} (auto: {'CUDA found' if name == 'full' else 'no CUDA'})")
    return name


def _profile(args: argparse.Namespace):
    return get_profile(profile_name(args), profile_overrides(args))


def _artifacts(args: argparse.Namespace):
    from elmo_lib.notebook import default_artifacts
    from elmo_lib.paths import resolve_path
    return resolve_path(args.artifacts) if args.artifacts else default_artifacts()


def _study(args: argparse.Namespace):
    from elmo_lib.study import Study
    return Study(_profile(args), _artifacts(args))


def pretrain(args: argparse.Namespace) -> int:
    """Pretrain the biLM (also under torchrun), optionally resuming; return the exit code."""
    from elmo_lib.checkpoint import load_checkpoint
    from elmo_lib.io import write_json
    from elmo_lib.lock import taking_turns
    from elmo_lib.pretrain import finished_state, pretrain_bilm

    study = _study(args)
    path = Path(args.checkpoint or study.bilm_checkpoint())
    profile = study.profile
    if path.is_file() and not (args.resume or args.force):
        state = load_checkpoint(path, required=BILM_STATE, fix="Pass --force to overwrite it and train from scratch.")
        done = "a finished" if finished_state(path, profile.pretrain) is not None else "an unfinished"
        raise CheckpointError(f"{path} holds {done} biLM (next epoch {state['epoch']}, step {state['global_step']}); "
                              f"pass --resume to continue it, or --force to overwrite it and train from scratch.")
    start = None
    if not (args.resume and path.is_file()):  # a resumed run takes its embeddings from the checkpoint
        with taking_turns(study.root / ".embedding-start.lock"):  # under torchrun, one rank builds the static vectors
            start = study.bilm_embedding_start()
    result = pretrain_bilm(study.corpus, profile.bilm, profile.pretrain, path, resume=args.resume,
                           max_steps=args.max_steps, embedding_start=start)
    if int(os.environ.get("RANK", "0")) == 0:
        if args.log_json:
            write_json(args.log_json, {"epochs": result.epochs, "steps": result.steps, "finished": result.finished})
        state = "finished" if result.finished else f"stopped after step {args.max_steps}"
        print(f"biLM {state}; checkpoint {path}")
    return 0


def elmo(args: argparse.Namespace) -> int:
    """Pretrain or reuse the biLM and train the classifier of each ELMo row (or of the --mode rows alone); return
    the exit code."""
    study = _study(args)
    keys = [elmo_key(mode) for mode in args.mode] if args.mode else [
        row.key for row in registry.rows(study.profile).values() if row.arm in BILM_ARMS]
    for key in keys:
        print(f"{key}: test accuracy {study.result(key)['test']['accuracy']:.4f}")
    return 0


def bench_pretrain(args: argparse.Namespace) -> int:
    """Run the naive-versus-ours pretraining benchmark; return the exit code."""
    from elmo_lib.bench import run_pretrain_benchmark

    run_pretrain_benchmark(_profile(args), budget_seconds=args.budget, json_path=args.json)
    return 0


def bench_classify(args: argparse.Namespace) -> int:
    """Time one classifier epoch over cached ELMo layers (old loader against ours, fp32 against bf16); return 0."""
    from elmo_lib.bench import run_classify_benchmark

    run_classify_benchmark(_study(args), args.mode, json_path=args.json)
    return 0


def bench_predict(args: argparse.Namespace) -> int:
    """Time `predict` on test texts with a trained row, from a warm start; return the exit code."""
    from elmo_lib.bench import run_predict_benchmark

    run_predict_benchmark(_study(args), args.model, args.documents, json_path=args.json)
    return 0


def bench_probes(args: argparse.Namespace) -> int:
    """Time the mean-pool probes with the BLAS's threads against one BLAS thread; return the exit code."""
    from elmo_lib.bench import run_probes_benchmark

    run_probes_benchmark(_study(args), json_path=args.json)
    return 0


def write_results(metrics_path, timings: dict, path) -> None:
    """Write benchmarks/results_<profile>.json: every model's test accuracy, the wall time and the git commit."""
    from elmo_lib.io import read_json, write_json
    metrics = read_json(metrics_path)
    write_json(path, {"profile": metrics["manifest"]["profile"], "git_commit": metrics["manifest"]["git_commit"],
                      "device": metrics["manifest"]["device"], "wall_seconds": round(sum(timings.values()), 1),
                      "notebook_seconds": timings,
                      "test_accuracy": {key: m["test"]["accuracy"] for key, m in metrics["models"].items()}})
    print(f"results: {path}")


def report(args: argparse.Namespace) -> int:
    """Run the notebooks and render report/; return the exit code (1 naming the notebook and cell on failure)."""
    from elmo_lib.lock import exclusive
    from elmo_lib.paths import resolve_path
    from elmo_lib.report_build import ReportError, build_report, default_notebooks

    profile = profile_name(args)
    overrides = profile_overrides(args)
    get_profile(profile, overrides)  # fail fast on unknown settings
    started = time.perf_counter()
    try:
        out = resolve_path(args.out) if args.out else default_notebooks().parent / "report"
        if out.exists() and not out.is_dir():
            raise ReportError(f"--out {out} is a file; give a folder for the report (it is created if missing)")
        if out.resolve() == _artifacts(args).resolve():
            raise ReportError(f"--out and --artifacts are the same folder ({out}); give the report a folder of its "
                              f"own, e.g. --out {out / 'report'}")
        with exclusive(out, "the report folder"):
            timings = build_report(profile, overrides, _artifacts(args), out,
                                   resolve_path(args.notebooks) if args.notebooks else None, args.kernel,
                                   pdf=not args.no_pdf)
    except ReportError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    if not args.out:  # the project's own report: keep its figures beside the benchmarks
        write_results(out / "metrics.json", timings, default_notebooks().parent / "benchmarks" / f"results_{profile}.json")
    written = "index.html, report.pdf, metrics.json" if not args.no_pdf else "index.html, metrics.json (no PDF)"
    print(f"report written to {out}/: {written} in {time.perf_counter() - started:.0f} s "
          f"(notebooks: {', '.join(f'{k} {v:.0f} s' for k, v in timings.items())})")
    return 0


def predict(args: argparse.Namespace) -> int:
    """Classify the given texts (or a CSV) with a trained row; print a table or write CSV; return the exit code."""
    from elmo_lib.predict import (
        check_writable,
        decode_input,
        format_table,
        load_classifier,
        read_texts,
        write_predictions,
    )

    profile = profile_name(args)
    overrides = profile_overrides(args)
    text_field = get_profile(profile, overrides).data.text_field
    if args.input and args.texts:
        raise PredictError("give texts as arguments or --input, not both")
    if args.output:
        check_writable(Path(args.output))
    if args.input == "-":
        texts = read_texts(io.StringIO(decode_input(sys.stdin.buffer.read(), "standard input"), newline=""),
                           "standard input", text_field)
    elif args.input:
        path = Path(args.input)
        if not path.is_file():
            raise PredictError(f"{path}: no such file")
        texts = read_texts(io.StringIO(decode_input(path.read_bytes(), str(path)), newline=""), str(path), text_field)
    elif args.texts:
        texts = list(args.texts)
    else:
        raise PredictError('nothing to classify: give texts, e.g. elmo-lib predict --model svd "Stocks fell", '
                           "or --input file.csv (or - for standard input)")
    predictor = load_classifier(args.model, profile, overrides, _artifacts(args))
    started = time.perf_counter()
    classes, probabilities = predictor.predict(texts, batch_size=args.batch_size)
    seconds = time.perf_counter() - started
    if args.output:
        try:
            with atomic_path(Path(args.output)) as tmp, open(tmp, "w", newline="", encoding="utf-8") as handle:
                write_predictions(handle, texts, classes, probabilities)
        except OSError as err:
            raise PredictError(f"--output {args.output}: cannot write it ({err.strerror or err}); choose another "
                               f"file") from None
        print(f"{len(texts)} predictions by {args.model} in {seconds:.2f} s written to {args.output}", file=sys.stderr)
    elif args.input:
        write_predictions(sys.stdout, texts, classes, probabilities)
    else:
        print(format_table(texts, classes, probabilities), end="")
    return 0


def verify(args: argparse.Namespace) -> int:
    """Check every artifact against its sidecar's full SHA-256; return 0 when all hold, 1 otherwise."""
    from elmo_lib.sidecar import discard, verify_folder

    root = _artifacts(args)
    checked, bad = verify_folder(root)
    if not checked:
        print(f"no artifacts found under {root}: nothing to verify (is it the right folder?)")
        return 1
    for path, problem in bad.items():
        print(f"{path}: {problem}" + ("; deleted, the next run rebuilds it" if args.delete else ""))
        if args.delete:
            discard(path)
    print(f"verified {checked} artifacts under {root}: {checked - len(bad)} intact, {len(bad)} not to be trusted"
          + ("" if args.delete or not bad else " (run again with --delete to have them rebuilt)"))
    return 1 if bad else 0


def positive_int(text: str) -> int:
    """Return `text` as an integer of at least 1, or raise argparse's error naming the value."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _add_profile_arguments(parser: argparse.ArgumentParser, default_profile: str = "cpu") -> None:
    parser.add_argument("--profile", default=default_profile, choices=["auto", *sorted(PROFILES)],
                        help="auto: full when CUDA is available, else cpu")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a setting, e.g. pretrain.epochs=2 (repeatable)")
    parser.add_argument("--data-dir", help="folder with train.csv and test.csv (default: $AG_NEWS_DIR or data/ag_news)")
    parser.add_argument("--artifacts", help="artifacts folder (default: $ELMO_ARTIFACTS or <project>/artifacts); "
                        "results go under <stage>/<key>/")


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

    stat = commands.add_parser("static", help="train a static row: TF-IDF, or SVD / skip-gram embeddings and the shared classifier")
    stat.add_argument("method", choices=sorted({*STATIC_METHODS, *BASELINES}))
    _add_profile_arguments(stat)
    stat.set_defaults(func=static)

    pre = commands.add_parser("pretrain", help="pretrain the biLM (works under torchrun --nproc_per_node=N)")
    _add_profile_arguments(pre)
    pre.add_argument("--checkpoint", help="checkpoint path (default: keyed by the settings under --out)")
    pre.add_argument("--resume", action="store_true", help="continue exactly from the checkpoint if it exists")
    pre.add_argument("--force", action="store_true", help="overwrite an existing checkpoint and train from scratch")
    pre.add_argument("--max-steps", type=int, help="stop (after checkpointing) once this many steps are done")
    pre.add_argument("--log-json", help="write per-step losses and per-epoch perplexities here")
    pre.set_defaults(func=pretrain)

    el = commands.add_parser("elmo", help="pretrain or reuse the biLM, then train the classifier of every ELMo row")
    _add_profile_arguments(el)
    el.add_argument("--mode", action="append", choices=list(MIX_MODES),
                    help="only the row of this mixing mode (repeatable; default: every ELMo row of the profile)")
    el.set_defaults(func=elmo)

    rep = commands.add_parser("report", help="run the notebooks with papermill and render report/ (HTML, PDF, metrics.json)")
    _add_profile_arguments(rep, default_profile="auto")
    rep.add_argument("--out", help="report folder (default: <project>/report)")
    rep.add_argument("--notebooks", help="notebooks folder (default: <project>/notebooks)")
    rep.add_argument("--kernel", default=None, help="Jupyter kernel (default: the notebooks' own, elmo-lib)")
    rep.add_argument("--no-pdf", action="store_true", help="skip the PDF (no Chromium needed)")
    rep.set_defaults(func=report)

    pr = commands.add_parser("predict", help="classify new text with a trained row (its classifier, embeddings, biLM)")
    _add_profile_arguments(pr)
    pr.add_argument("--model", required=True, help="a trained model key, e.g. elmo_trainable, svd, skipgram")
    pr.add_argument("texts", nargs="*", help="texts to classify (or use --input)")
    pr.add_argument("--input", help="CSV with a 'text' or 'Description' column, canonical AG News rows, or one text "
                                    "a line; - reads standard input")
    pr.add_argument("--output", help="write the predictions as CSV here (default: standard output)")
    pr.add_argument("--batch-size", type=positive_int, default=256, help="documents per batch (default 256)")
    pr.set_defaults(func=predict)

    ver = commands.add_parser("verify", help="check every cached artifact against its sidecar's SHA-256")
    ver.add_argument("--artifacts", help="artifacts folder (default: $ELMO_ARTIFACTS or <project>/artifacts)")
    ver.add_argument("--delete", action="store_true", help="delete the artifacts that fail, so the next run rebuilds them")
    ver.set_defaults(func=verify)

    bench = commands.add_parser("bench", help="benchmarks")
    bench_commands = bench.add_subparsers(dest="bench_command", required=True)
    bp = bench_commands.add_parser("pretrain", help="naive reference versus our biLM pretraining, same data and budget")
    _add_profile_arguments(bp)
    bp.add_argument("--budget", type=float, default=180.0, help="wall-clock seconds of training for each (default 180)")
    bp.add_argument("--json", help="also write the figures to this JSON file")
    bp.set_defaults(func=bench_pretrain)
    bc = bench_commands.add_parser("classify", help="one classifier epoch over cached ELMo layers: old loader versus "
                                                    "new, fp32 versus bf16")
    _add_profile_arguments(bc)
    bc.add_argument("--mode", default="trainable", choices=list(MIX_MODES))
    bc.add_argument("--json", help="also write the figures to this JSON file")
    bc.set_defaults(func=bench_classify)
    bpr = bench_commands.add_parser("predict", help="seconds to classify test texts with a trained row (warm start)")
    _add_profile_arguments(bpr)
    bpr.add_argument("--model", default="elmo_trainable", help="a trained model key (default elmo_trainable)")
    bpr.add_argument("--documents", type=int, default=1000, help="how many test texts (default 1000)")
    bpr.add_argument("--json", help="also write the figures to this JSON file")
    bpr.set_defaults(func=bench_predict)
    bprobe = bench_commands.add_parser("probes", help="the mean-pool probes with the BLAS's threads against one")
    _add_profile_arguments(bprobe)
    bprobe.add_argument("--json", help="also write the figures to this JSON file")
    bprobe.set_defaults(func=bench_probes)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return its exit code (2 on input errors, with the message on stderr)."""
    from contextlib import ExitStack

    from elmo_lib.lock import LockError, exclusive
    args = build_parser().parse_args(argv)
    try:
        with ExitStack() as locks:
            main_rank = int(os.environ.get("RANK", "0")) == 0  # under torchrun, rank 0 holds the lock for all
            read_only = args.command in ("data", "predict") or getattr(args, "bench_command", None) == "predict"
            if args.command == "verify":
                read_only = not args.delete
                if not _artifacts(args).is_dir():
                    raise DataError(f"no artifacts folder at {_artifacts(args)}: check the path (--artifacts or "
                                    f"$ELMO_ARTIFACTS); nothing was verified")
            if getattr(args, "artifacts", "unset") != "unset" and not read_only and main_rank:
                locks.enter_context(exclusive(_artifacts(args), "the artifacts folder"))
                from elmo_lib.leftovers import remove_dead_temp_files
                remove_dead_temp_files(_artifacts(args))
            return args.func(args)
    except LockError as err:
        print(f"error: {err}", file=sys.stderr)
        return 3
    except DataError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except (KeyError, CheckpointError) as err:
        print(f"error: {err.args[0]}", file=sys.stderr)
        return 2
    except (PredictError, TrainingError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        if err.errno not in (errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOSPC, errno.EDQUOT):
            raise
        where = f" {err.filename}" if err.filename else ""
        print(f"error: cannot write{where}: {err.strerror or err}. A stage that is not cached yet needs a writable "
              f"artifacts folder with free space: pass --artifacts DIR (or set ELMO_ARTIFACTS) to one, or free space "
              f"there; nothing half-written was kept", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: nothing half-written was kept; finished stages are cached and the next run reuses them",
              file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
