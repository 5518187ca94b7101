import json
import os
import subprocess
import sys

from elmo_lib.vocab import SPECIALS, UNK_ID, Vocabulary


def test_ids_by_count_then_word():
    vocab = Vocabulary.build([["b", "a", "c", "a"], ["b", "d"]], min_freq=1)
    assert vocab.itos == SPECIALS + ("a", "b", "c", "d")


def test_min_freq_and_max_size():
    docs = [["a"] * 3 + ["b"] * 2 + ["c"]]
    assert Vocabulary.build(docs, min_freq=2).itos[4:] == ("a", "b")
    assert Vocabulary.build(docs, min_freq=1, max_size=1).itos[4:] == ("a",)


def test_rare_words_encode_to_unk():
    vocab = Vocabulary.build([["a", "a", "rare"]], min_freq=2)
    assert vocab.encode(["a", "rare", "never"]).tolist() == [4, UNK_ID, UNK_ID]


def test_json_round_trip(tmp_path):
    vocab = Vocabulary.build([["x", "y", "y", "é"]], min_freq=1)
    vocab.save(tmp_path / "vocab.json")
    loaded = Vocabulary.load(tmp_path / "vocab.json")
    assert loaded.itos == vocab.itos and loaded.counts == vocab.counts
    assert loaded.fingerprint() == vocab.fingerprint()


def test_tampered_json_is_refused(tmp_path):
    vocab = Vocabulary.build([["x", "y"]], min_freq=1)
    vocab.save(tmp_path / "vocab.json")
    payload = json.loads((tmp_path / "vocab.json").read_text())
    payload["words"] = payload["words"][::-1]
    (tmp_path / "vocab.json").write_text(json.dumps(payload))
    try:
        Vocabulary.load(tmp_path / "vocab.json")
    except ValueError as err:
        assert "corrupt" in str(err)
    else:
        raise AssertionError("a tampered vocabulary loaded")


SCRIPT = """
from elmo_lib.vocab import Vocabulary
words = {"w%d" % (i % 50) for i in range(500)} | {"tie", "also", "zeta"}
docs = [sorted(words, key=hash), list({"tie", "also", "zeta", "w1"})]
print("\\n".join(Vocabulary.build(docs, min_freq=1).itos))
"""


def test_ids_do_not_depend_on_hash_seed():
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        outputs.append(subprocess.run([sys.executable, "-c", SCRIPT], env=env, check=True,
                                      capture_output=True, text=True).stdout)
    assert outputs[0] == outputs[1]
    assert outputs[0].split("\n")[4:7] == ["also", "tie", "w1"]
