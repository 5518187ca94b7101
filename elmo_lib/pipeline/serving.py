"""Serving lookups: a trained row's record, saved classifier and encoder factory, computing nothing."""
from __future__ import annotations

from pathlib import Path

from elmo_lib.io import read_json
from elmo_lib.pipeline.static_rows import CLASSIFIER_FILE
from elmo_lib.bilm_store import finished_state
from elmo_lib.registry import BILM_ARMS, is_baseline, rows
from elmo_lib.sidecar import sidecar_path, sidecar_problem
from elmo_lib.vocab import Vocabulary


class NotTrainedError(KeyError):
    """A row asked for (to predict with) that this profile's artifacts do not hold yet."""


class Serving:
    """What `predict` asks of a Study (needs the row stages)."""

    def trained_bilm_checkpoint(self, what: str | None = None, how: str | None = None) -> Path:
        """Return the finished biLM checkpoint of this profile, computing nothing; raise NotTrainedError saying
        `what` is missing and `how` to make it when there is none."""
        what = what or f"no biLM was trained at profile {self.profile.name}"
        how = how or f"run `elmo-lib pretrain --profile {self.profile.name}` (or `make report PROFILE={self.profile.name}`)"
        start = self.profile.bilm.embed_init
        if start and sidecar_problem(self._vectors_path(start), full=False):
            raise NotTrainedError(f"{what} (no {start} vectors for the biLM to start from at "
                                  f"{self._vectors_path(start)}); {how} first")
        checkpoint = self.bilm_checkpoint()
        if sidecar_problem(checkpoint, full=False) or finished_state(checkpoint, self.profile.pretrain) is None:
            raise NotTrainedError(f"{what} (no finished biLM at {checkpoint}); {how} first")
        return checkpoint

    def trained_vocab(self) -> Vocabulary:
        """Return the vocabulary the rows were trained with: the saved one when its sidecar vouches for it, else
        rebuilt from the data files (and saved again where the folder is writable)."""
        path = self.stage_dir("data") / "vocab.json"
        problem = sidecar_problem(path)
        if problem is None:
            return Vocabulary.load(path)
        print(f"{path}: {'missing' if problem == 'missing' else 'corrupt (' + problem + ')'}; rebuilding the "
              f"vocabulary from the data files")
        return self.corpus.vocab

    def bilm_study(self, key: str):
        """Return the study whose biLM row `key` reads: this one, or its from-scratch variant for a scratch row."""
        return self.scratch_study if rows(self.profile)[key].scratch else self

    def trained_row(self, key: str) -> tuple[dict, Path, object]:
        """Return (metrics record, classifier.pt path, encoder factory) of a row already trained, computing nothing;
        raise NotTrainedError with the command to run when it is not."""
        if key not in self.model_keys():
            raise KeyError(f"unknown model {key!r} for profile {self.profile.name}; choose one of {self.model_keys()}")
        row = rows(self.profile)[key]
        if is_baseline(key):
            raise NotTrainedError(f"{key} is scikit-learn's own model, not the shared classifier; predict serves "
                                  f"{[k for k in self.model_keys() if not is_baseline(k)]}")
        how = f"run `make report PROFILE={self.profile.name}` or `elmo-lib " + (
            f"elmo --profile {self.profile.name}`" if row.arm in BILM_ARMS else f"static {key} --profile {self.profile.name}`")
        if row.arm in BILM_ARMS:
            source = self.bilm_study(key)
            checkpoint = source.trained_bilm_checkpoint(f"{key} was never trained at profile {self.profile.name}", how)
            path = source._elmo_record_path(row.method, row.concat_static, read_json(sidecar_path(checkpoint))["sha256"],
                                            row.finetuned, key)
            make_encoder = source._elmo_encoder(row.method, row.concat_static, row.finetuned)
        else:
            path, make_encoder = self._static_record_path(key), self._static_encoder(key)
        if sidecar_problem(path):
            raise NotTrainedError(f"{key} was never trained at profile {self.profile.name} (no record at {path}); "
                                  f"{how} first")
        weights = path.parent / CLASSIFIER_FILE
        problem = sidecar_problem(weights)
        if problem:
            why = "trained before classifiers were saved, or removed" if problem == "missing" else problem
            raise NotTrainedError(f"{path.parent} holds {key}'s metrics but no usable {CLASSIFIER_FILE} ({why}); "
                                  f"delete that folder and {how}")
        return read_json(path), weights, make_encoder

