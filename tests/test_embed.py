"""The public API: load a trained biLM and embed new text into its layers; `elmo-lib embed in.txt out.npz`."""
import numpy as np
import pytest

import elmo_lib
from elmo_lib.cli import main
from elmo_lib.study import NotTrainedError
from tests.test_trust import _small_study

OVERRIDES = {"data.max_train_rows": 600, "data.max_test_rows": 200, "classifier.max_epochs": 1, "pretrain.epochs": 1,
             "svd.windows": [2], "elmo.modes": ["frozen"], "elmo.concat_modes": [], "elmo.finetune_lr_scale": None,
             "static_methods": ["svd"]}


def test_embed_gives_each_tokens_layers_as_the_cached_features_hold_them(shared_dir, tmp_path):
    study = _small_study(shared_dir, tmp_path)
    features = study.elmo_features
    overrides = {**OVERRIDES, "data.data_dir": str(shared_dir)}
    embedder = elmo_lib.load_bilm("smoke", overrides, tmp_path)
    docs = embedder.embed(["Stocks fell on Wall Street", "", "zzzqqq unknownword"])
    assert [len(d.tokens) for d in docs] == [5, 0, 2]
    assert docs[0].layers.shape == (5, study.profile.bilm.layers + 1, 2 * study.profile.bilm.hidden)
    assert docs[2].known.tolist() == [False, False]
    # a training document embedded anew: its layers 1..L are the cached ones (float16 there)
    from elmo_lib.text import tokenize
    from elmo_lib.vocab import UNK_ID
    train, vocab = study.corpus.train, study.corpus.vocab
    index = next(i for i, ids in enumerate(train.ids) if UNK_ID not in ids
                 and tokenize(" ".join(vocab.decode(ids))) == vocab.decode(ids))
    again = embedder.embed([" ".join(vocab.decode(train.ids[index]))])[0].layers[:, 1:]
    cached = np.asarray(features["train"].values[train.offsets[index]:train.offsets[index + 1]], dtype=np.float32)
    assert again.shape == cached.shape and np.allclose(again, cached, atol=2e-3)


def test_elmo_lib_embed_writes_an_npz_read_with_numpy_alone(shared_dir, tmp_path, capsys):
    _small_study(shared_dir, tmp_path / "artifacts").bilm
    (tmp_path / "in.txt").write_text("Stocks fell on Wall Street\nThe home team won the cup\n")
    sets = [arg for key, value in OVERRIDES.items() for arg in ("--set", f"{key}={value!r}")]
    code = main(["embed", str(tmp_path / "in.txt"), str(tmp_path / "out.npz"), "--profile", "smoke",
                 "--data-dir", str(shared_dir), "--artifacts", str(tmp_path / "artifacts"), *sets])
    assert code == 0 and "2 texts, 11 tokens" in capsys.readouterr().err
    saved = np.load(tmp_path / "out.npz")
    assert saved["offsets"].tolist() == [0, 5, 11] and saved["tokens"][:2].tolist() == ["stocks", "fell"]
    assert saved["layers"].shape[:2] == (11, 3) and saved["layers"].dtype == np.float32


def test_embed_without_a_trained_bilm_names_the_command(shared_dir, tmp_path):
    with pytest.raises(NotTrainedError, match=r"no biLM was trained at profile smoke .*elmo-lib pretrain"):
        elmo_lib.load_bilm("smoke", {**OVERRIDES, "data.data_dir": str(shared_dir)}, tmp_path)
