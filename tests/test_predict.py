"""`elmo-lib predict` and `elmo_lib.load_classifier`: saved classifiers give the study's own predictions on new text."""
import csv

import pytest

from elmo_lib import load_classifier
from elmo_lib.cli import main
from elmo_lib.config import get_profile
from elmo_lib.corpus import split_news
from elmo_lib.predict import PredictError
from elmo_lib.study import NotTrainedError, Study


def _overrides(shared_dir):
    return {"data.data_dir": str(shared_dir), "data.max_train_rows": 600, "data.max_test_rows": 200,
            "classifier.max_epochs": 2, "pretrain.epochs": 1, "svd.windows": [2], "elmo.modes": ["frozen"],
            "elmo.concat_modes": [], "static_methods": ["svd"]}


@pytest.fixture(scope="module")
def trained(shared_dir, tmp_path_factory):
    """A small smoke study with its rows trained; returns (artifacts folder, overrides, results)."""
    root = tmp_path_factory.mktemp("artifacts")
    study = Study(get_profile("smoke", _overrides(shared_dir)), root)
    return root, _overrides(shared_dir), study.results()


@pytest.mark.integration
@pytest.mark.parametrize("key", ["svd", "elmo_frozen", "elmo_finetuned"])
def test_predict_gives_the_stored_test_predictions(trained, key):
    root, overrides, results = trained
    texts = split_news(get_profile("smoke", overrides).data)["test"].texts
    classes, probabilities = load_classifier(key, "smoke", overrides, root).predict(texts, batch_size=64)
    names = ["World", "Sports", "Business", "Sci/Tech"]
    assert [names.index(c) for c in classes] == results[key]["test_predictions"]
    assert probabilities.shape == (len(texts), 4) and abs(probabilities.sum(axis=1) - 1).max() < 1e-5


@pytest.mark.integration
def test_predict_command_prints_a_table_and_writes_csv(trained, tmp_path, capsys):
    root, overrides, _ = trained
    common = ["--profile", "smoke", "--artifacts", str(root)] + [
        arg for key, value in overrides.items() for arg in ("--set", f"{key}={value!r}" if isinstance(value, str) else f"{key}={value}")]
    assert main(["predict", "--model", "elmo_frozen", *common, "Stocks fell after the earnings report",
                 "The home team won the cup"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:5] == ["predicted", "World", "Sports", "Business", "Sci/Tech"] and len(out) == 3
    source = tmp_path / "in.csv"
    source.write_text('Class Index,Description\n3,"Shares rose, oil fell"\n2,Cup final on Sunday\n', encoding="utf-8")
    assert main(["predict", "--model", "svd", *common, "--input", str(source), "--output", str(tmp_path / "out.csv")]) == 0
    rows = list(csv.reader(open(tmp_path / "out.csv", encoding="utf-8")))
    assert rows[0] == ["text", "predicted", "p_World", "p_Sports", "p_Business", "p_Sci/Tech"]
    assert [r[0] for r in rows[1:]] == ["Shares rose, oil fell", "Cup final on Sunday"]
    assert all(abs(sum(float(p) for p in r[2:]) - 1) < 1e-3 for r in rows[1:])
    canonical = tmp_path / "canonical.csv"
    canonical.write_text('"3","Oil","Oil prices fell"\n"1","Talks","Leaders met"\n', encoding="utf-8")
    assert main(["predict", "--model", "svd", *common, "--input", str(canonical)]) == 0
    assert capsys.readouterr().out.splitlines()[1].startswith("Oil prices fell,")


@pytest.mark.integration
def test_bad_input_gets_a_clear_message(trained, tmp_path, capsys):
    root, overrides, _ = trained
    with pytest.raises(PredictError, match="text 2 is empty"):
        load_classifier("svd", "smoke", overrides, root).predict(["fine words", "  "])
    with pytest.raises(KeyError, match="unknown model 'nope'"):
        load_classifier("nope", "smoke", overrides, root)
    with pytest.raises(NotTrainedError, match="never trained.*make report PROFILE=smoke"):
        load_classifier("svd", "smoke", {**overrides, "classifier.hidden": 7}, root)
    with pytest.raises(NotTrainedError, match="never trained.*no finished biLM"):
        load_classifier("elmo_frozen", "smoke", {**overrides, "bilm.hidden": 8}, root)
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a,b\nc\n", encoding="utf-8")
    assert main(["predict", "--model", "svd", "--profile", "smoke", "--artifacts", str(root),
                 "--input", str(ragged)]) == 2
    assert "ragged.csv: rows of [1, 2] fields" in capsys.readouterr().err
