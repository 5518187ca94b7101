"""What each `elmo-lib` command does (the parser and the error handling live in elmo_lib.cli)."""
from __future__ import annotations

import argparse
import io
import os
import sys
import time
from pathlib import Path

import numpy as np

from elmo_lib import registry
from elmo_lib.config import PROFILES, get_profile, parse_overrides
from elmo_lib.names import EXTRAS
from elmo_lib.overrides import SettingError
from elmo_lib.data import CLASS_NAMES, read_news, resolve_data_dir
from elmo_lib.errors import CheckpointError
from elmo_lib.io import atomic_path
from elmo_lib.predict import PredictError, check_writable
from elmo_lib.registry import BILM_ARMS, elmo_key


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
    added = [name.strip() for name in (getattr(args, "extras", "") or "").split(",") if name.strip()]
    if added:
        unknown = [name for name in added if name not in EXTRAS]
        if unknown:
            raise SettingError(f"--with {','.join(unknown)}: no such section; choose among {', '.join(EXTRAS)}")
        name = args.profile
        if name == "auto":
            from elmo_lib.notebook import default_profile_name
            name = default_profile_name()
        base = overrides.get("extras", PROFILES[name].extras)
        overrides["extras"] = tuple(dict.fromkeys((*base, *added)))
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
    from elmo_lib.checkpoint import BILM_STATE, load_checkpoint
    from elmo_lib.io import write_json
    from elmo_lib.lock import taking_turns
    from elmo_lib.bilm_store import finished_state
    from elmo_lib.pretrain import pretrain_bilm

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


def report(args: argparse.Namespace) -> int:
    """Run the notebooks and render report/; return the exit code (1 naming the notebook and cell on failure)."""
    from elmo_lib.lock import exclusive
    from elmo_lib.paths import resolve_path
    from elmo_lib.report_build import ReportError, build_report, default_notebooks, write_results

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
        write_results(out / "results.json", default_notebooks().parent / "benchmarks" / f"results_{profile}.json")
    written = "index.html, report.pdf, metrics.json, results.json" if not args.no_pdf else \
        "index.html, metrics.json, results.json (no PDF)"
    computing = sum(v for k, v in timings.items() if k.startswith("stage "))
    print(f"report written to {out}/: {written} in {time.perf_counter() - started:.0f} s ({computing:.0f} s computing "
          f"the stages, {sum(timings.values()) - computing:.0f} s rendering the notebooks)")
    return 0


def predict(args: argparse.Namespace) -> int:
    """Classify the given texts (or a CSV) with a trained row; print a table or write CSV; return the exit code."""
    from elmo_lib.predict import (
        check_writable,
        format_table,
        load_classifier,
        read_input,
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
    if args.input:
        text, name = read_input(args.input)
        texts = read_texts(io.StringIO(text, newline=""), name, text_field)
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


def embed(args: argparse.Namespace) -> int:
    """Write the biLM layers of every line of a text file (or standard input) to an .npz; return the exit code."""
    from elmo_lib.embed import load_bilm, write_npz
    from elmo_lib.predict import read_input
    text, _ = read_input(args.input)
    texts = [line for line in text.splitlines() if line.strip()]
    if not texts:
        raise PredictError(f"{args.input}: no text; give one text a line")
    check_writable(Path(args.output))
    embedded = load_bilm(profile_name(args), profile_overrides(args), _artifacts(args)).embed(texts, args.batch_size)
    write_npz(args.output, embedded)
    tokens = sum(len(doc.tokens) for doc in embedded)
    print(f"{len(texts)} texts, {tokens:,} tokens, {embedded[0].layers.shape[1]} layers of "
          f"{embedded[0].layers.shape[2]} written to {args.output}", file=sys.stderr)
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
