"""Command line `elmo-lib` (also `python -m elmo_lib`): data check|download, static, pretrain, elmo, report, predict,
embed, verify, bench. The commands themselves are in elmo_lib.commands."""
from __future__ import annotations

import argparse
import errno
import os
import sys
from typing import Sequence

from elmo_lib.commands import (
    _artifacts,
    bench_classify,
    bench_predict,
    bench_pretrain,
    bench_probes,
    data_check,
    data_download,
    elmo,
    embed,
    predict,
    pretrain,
    profile_name,
    profile_overrides,
    report,
    static,
    verify,
)
from elmo_lib.config import PROFILES, DataConfig
from elmo_lib.names import EXTRAS
from elmo_lib.data import DataError
from elmo_lib.errors import CheckpointError, ReplicateError, TrainingError
from elmo_lib.predict import PredictError
from elmo_lib.plugins import mixing_modes, static_rows
from elmo_lib.report_build import write_results

__all__ = ["build_parser", "main", "positive_int", "profile_name", "profile_overrides", "write_results"]


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
    parser.add_argument("--with", dest="extras", default="", metavar="SECTIONS",
                        help=f"add report sections the profile leaves out, comma-separated ({', '.join(EXTRAS)}), "
                             "e.g. --with ablations,epoch_curve; they run over the cached stages")
    parser.add_argument("--data-dir", help="folder with train.csv and test.csv (default: $AG_NEWS_DIR or data/ag_news)")
    parser.add_argument("--artifacts", help="artifacts folder (default: $ELMO_ARTIFACTS or <project>/artifacts); "
                        "results go under <stage>/<key>/")


def replicate_command(args: argparse.Namespace) -> int:
    """`elmo-lib replicate NUMBER` (elmo_lib.replicates, imported when run: it needs torch)."""
    from elmo_lib.replicates import replicate_command as run
    return run(args)


def join_command(args: argparse.Namespace) -> int:
    """`elmo-lib join-replicates` (elmo_lib.replicates, imported when run)."""
    from elmo_lib.replicates import join_command as run
    return run(args)


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
    stat.add_argument("method", choices=sorted(static_rows()))
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
    el.add_argument("--mode", action="append", choices=list(mixing_modes()),
                    help="only the row of this mixing mode (repeatable; default: every ELMo row of the profile)")
    el.set_defaults(func=elmo)

    rep = commands.add_parser("report", help="run the notebooks with papermill and render report/ (HTML, PDF, metrics.json)")
    _add_profile_arguments(rep, default_profile="auto")
    rep.add_argument("--out", help="report folder (default: <project>/report)")
    rep.add_argument("--notebooks", help="notebooks folder (default: <project>/notebooks)")
    rep.add_argument("--kernel", default=None, help="Jupyter kernel (default: the notebooks' own, elmo-lib)")
    rep.add_argument("--no-pdf", action="store_true", help="skip the PDF (no Chromium needed)")
    rep.set_defaults(func=report)

    one = commands.add_parser("replicate", help="compute one replicate (2 or more) of the whole pipeline and write "
                                                "its record under benchmarks/records/replicates_<profile>/")
    one.add_argument("number", type=positive_int, help="the replicate: every seed of the pipeline + NUMBER - 1")
    _add_profile_arguments(one)
    one.add_argument("--json", help="write the record here instead")
    one.add_argument("--budget-minutes", type=float, default=None,
                     help="start no stage after this many minutes: save the finished rows beside the record "
                          "(replicate_N.partial/) for the same command to carry on (default: no budget)")
    one.set_defaults(func=replicate_command)
    joined = commands.add_parser("join-replicates", help="join replicate 1 (benchmarks/results_<profile>.json) and the "
                                                         "replicate records into benchmarks/replicates_<profile>.json")
    joined.add_argument("--profile", default="cpu", choices=sorted(PROFILES))
    joined.add_argument("--json", help="write the joined record here instead")
    joined.set_defaults(func=join_command)

    pr = commands.add_parser("predict", help="classify new text with a trained row (its classifier, embeddings, biLM)")
    _add_profile_arguments(pr)
    pr.add_argument("--model", required=True, help="a trained model key, e.g. elmo_trainable, svd, skipgram")
    pr.add_argument("texts", nargs="*", help="texts to classify (or use --input)")
    pr.add_argument("--input", help="CSV with a 'text' or 'Description' column, canonical AG News rows, or one text "
                                    "a line; - reads standard input")
    pr.add_argument("--output", help="write the predictions as CSV here (default: standard output)")
    pr.add_argument("--batch-size", type=positive_int, default=256, help="documents per batch (default 256)")
    pr.set_defaults(func=predict)

    em = commands.add_parser("embed", help="write the trained biLM's layers for every line of a text file to an .npz")
    _add_profile_arguments(em)
    em.add_argument("input", help="a UTF-8 text file, one text a line (- reads standard input)")
    em.add_argument("output", help="the .npz to write: layers (tokens, L + 1, D), tokens, known, offsets")
    em.add_argument("--batch-size", type=positive_int, default=64, help="texts per batch (default 64)")
    em.set_defaults(func=embed)

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
    bc.add_argument("--mode", default="trainable", choices=list(mixing_modes()))
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
            read_only = args.command in ("data", "predict", "embed") or getattr(args, "bench_command", None) == "predict"
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
    except (DataError, ReplicateError) as err:
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
        from elmo_lib import report_build
        stream = report_build.INTERRUPT_STREAM or sys.stderr
        print("interrupted: nothing half-written was kept; finished stages are cached and the next run reuses them",
              file=stream)
        if report_build.INTERRUPT_STREAM is None:
            return 130
        sys.stdout.flush()
        stream.flush()
        os._exit(130)  # papermill's threads would go on talking at exit; the kernel leaves with its parent


if __name__ == "__main__":
    sys.exit(main())
