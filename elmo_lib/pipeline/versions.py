"""Code versions in the cache keys (no imports: the sidecars and every stage read them).

Raise ARTIFACT_VERSION when a code change alters results under unchanged settings (8: one BLAS thread for the
numpy/scipy/scikit-learn steps); raise CLASSIFIER_VERSION when only the classifier or its training does (2: dropout
masks drawn by elmo_lib.dropout), so the biLM and the embeddings are reused.
"""

ARTIFACT_VERSION = 8
CLASSIFIER_VERSION = 2
