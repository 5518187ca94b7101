"""TF-IDF uni- and bigrams with a logistic regression: the classic yardstick, a model of its own."""
from elmo_lib.plugins import StaticRow, register_static_row
from elmo_lib.settings import TfidfConfig

register_static_row(StaticRow("tfidf", TfidfConfig, "elmo_lib.tfidf:train_tfidf", "TF-IDF + logistic regression",
                              sweeps_windows=False, baseline=True))
