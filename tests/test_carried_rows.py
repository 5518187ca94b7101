"""A replicate stopped short saves its finished rows beside its record; the same command in a new artifacts folder
carries them in where they were trained from the same inputs, and never where they were not."""
import json

import pytest

from elmo_lib.cli import main
from elmo_lib.study import Study
from tests.elmo_helpers import TINY_REPLICATED_STUDY


def _argv(tiny_dir, artifacts, record, *extra):
    return ["replicate", "2", "--profile", "smoke", "--data-dir", str(tiny_dir), "--artifacts", str(artifacts),
            "--json", str(record), *extra,
            *[x for key, value in TINY_REPLICATED_STUDY.items() for x in ("--set", f"{key}={value!r}")]]


def _interrupt_at(monkeypatch, stage_name):
    """Make the run stop (as Ctrl-C or SIGTERM does) when it starts the stage `stage_name`."""
    run = Study._run

    def interrupted(self, stage):
        if stage.name == stage_name:
            raise KeyboardInterrupt
        return run(self, stage)
    monkeypatch.setattr(Study, "_run", interrupted)


@pytest.mark.integration
def test_an_interrupted_replicate_carries_its_finished_rows_into_a_new_artifacts_folder(tiny_dir, tmp_path,
                                                                                        monkeypatch, capsys):
    record = tmp_path / "replicate_2.json"
    _interrupt_at(monkeypatch, "elmo_frozen")
    assert main(_argv(tiny_dir, tmp_path / "first", record)) == 130
    partial = json.loads((tmp_path / "replicate_2.partial" / "partial.json").read_text())
    assert list(partial["rows"]) == ["svd", "skipgram", "elmo_trainable"] and not record.exists()
    assert "3 of 4 rows saved" in capsys.readouterr().err
    assert {"bilm.pt", "skipgram vectors", "bilm layers test"} <= set(partial["upstream"])
    monkeypatch.undo()

    assert main(_argv(tiny_dir, tmp_path / "second", record)) == 0          # another sitting: a fresh folder
    out = capsys.readouterr().out
    assert "carried 3 rows trained from the same inputs" in out and "elmo_frozen: done" in out
    assert "svd: done" not in out and not (tmp_path / "replicate_2.partial").exists()
    carried = json.loads(record.read_text())
    assert len(carried["sittings"]) == 2 and set(carried["sittings"][0]["stage_seconds"]) >= {"svd", "bilm"}
    assert carried["stage_seconds"]["svd"] == carried["sittings"][0]["stage_seconds"]["svd"] > 0
    assert carried["wall_seconds"] == pytest.approx(sum(sum(s["stage_seconds"].values())
                                                        for s in carried["sittings"]), abs=0.1)

    _interrupt_at(monkeypatch, "elmo_frozen")                                 # a row keyed otherwise is not carried
    assert main(_argv(tiny_dir, tmp_path / "fourth", record.with_name("keyed.json"))) == 130
    monkeypatch.undo()
    path = tmp_path / "keyed.partial" / "partial.json"
    partial = json.loads(path.read_text())
    partial["rows"]["svd"] = partial["rows"]["svd"].replace("svd/", "svd/0", 1)
    path.write_text(json.dumps(partial))
    capsys.readouterr()
    assert main(_argv(tiny_dir, tmp_path / "fifth", record.with_name("keyed.json"))) == 0
    out = capsys.readouterr().out
    assert "carried 2 rows" in out and "1 rows are keyed otherwise here" in out and "svd: done" in out

    whole = tmp_path / "whole.json"                                           # the same replicate in one sitting
    assert main(_argv(tiny_dir, tmp_path / "third", whole)) == 0
    straight = json.loads(whole.read_text())
    assert carried["rows"] == straight["rows"] and carried["planned_comparisons"] == straight["planned_comparisons"]
    assert len(straight["sittings"]) == 1


@pytest.mark.integration
def test_rows_trained_from_other_inputs_are_never_carried_and_a_spent_budget_saves_nothing_unfinished(
        tiny_dir, tmp_path, monkeypatch, capsys):
    record = tmp_path / "replicate_2.json"
    _interrupt_at(monkeypatch, "elmo_trainable")
    assert main(_argv(tiny_dir, tmp_path / "first", record)) == 130
    path = tmp_path / "replicate_2.partial" / "partial.json"
    partial = json.loads(path.read_text())
    assert list(partial["rows"]) == ["svd", "skipgram"]
    partial["upstream"]["bilm.pt"] = "0" * 64                                 # as a biLM from another kind of CPU
    path.write_text(json.dumps(partial))
    capsys.readouterr()
    assert main(_argv(tiny_dir, tmp_path / "second", record)) == 130
    out = capsys.readouterr().out
    assert "were trained (" in out and "from other inputs than this run's (bilm.pt differ); computing every row" in out
    assert "svd: done" in out and "skipgram: done" in out
    saved = json.loads(path.read_text())                                      # replaced: this run's rows and inputs
    assert list(saved["rows"]) == ["svd", "skipgram"] and saved["upstream"]["bilm.pt"] != "0" * 64
    assert len(saved["sittings"]) == 1                                        # the other inputs' sitting is not counted
    monkeypatch.undo()

    assert main(_argv(tiny_dir, tmp_path / "third", record, "--budget-minutes", "0")) == 3
    assert "its rows' inputs are unfinished, so nothing is saved" in capsys.readouterr().err
    assert json.loads(path.read_text()) == saved and not record.exists()
