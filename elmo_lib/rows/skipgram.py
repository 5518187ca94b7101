"""Skip-gram word2vec with negative sampling (gensim, one worker: reproducible)."""
from elmo_lib.plugins import StaticRow, register_static_row
from elmo_lib.settings import SkipGramConfig

register_static_row(StaticRow("skipgram", SkipGramConfig, "elmo_lib.embeddings.skipgram:train_skipgram", "Skip-gram",
                              reference=0.90))
