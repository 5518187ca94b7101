"""SVD of a windowed co-occurrence matrix (PPMI by default; count reproduces the reference study)."""
from elmo_lib.plugins import StaticRow, register_static_row
from elmo_lib.settings import SVDConfig

register_static_row(StaticRow("svd", SVDConfig, "elmo_lib.embeddings.svd:train_svd", "SVD", reference=0.87))
