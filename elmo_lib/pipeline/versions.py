"""Code versions in the cache keys (no imports: the sidecars and every stage read them).

Raise ARTIFACT_VERSION when a code change alters results under unchanged settings (8: one BLAS thread for the
numpy/scipy/scikit-learn steps; 9: the biLM's <unk> dropout drawn from a stream of its own). Raise
CLASSIFIER_VERSION when only the classifier or its training does, so the biLM and the embeddings are reused (2:
dropout masks drawn by elmo_lib.dropout; 3: the training stream seeded apart from the weights', and no weight decay
on the λ mix's w and γ).
"""

ARTIFACT_VERSION = 9
CLASSIFIER_VERSION = 3
