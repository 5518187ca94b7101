"""The names settings choose among, in one torch-free home (the settings check them; the modules that implement
them read them from here, so a choice is never listed twice).
"""

# static methods: word vectors fed to the shared classifier, as "module:function" trainers
# (docs, vocab, cfg, window) -> StaticEmbeddings, imported on first use
STATIC_METHODS: dict[str, str] = {
    "svd": "elmo_lib.embeddings.svd:train_svd",
    "skipgram": "elmo_lib.embeddings.skipgram:train_skipgram",
}
# baselines: models that bring their own classifier, as "module:function" (corpus, cfg) -> metrics record
BASELINES: dict[str, str] = {
    "tfidf": "elmo_lib.tfidf:train_tfidf",
}
MIX_MODES = ("trainable", "frozen", "function")       # how the biLM's layers become one vector (embeddings.mixing)
LAYER_NORMS = ("none", "masked", "token")             # normalisation of each layer before the mix (embeddings.features)
WEIGHTINGS = ("count", "log", "ppmi")                 # the SVD's co-occurrence weighting (embeddings.svd)
SOFTMAXES = ("full", "adaptive")                      # the biLM's output layer
TEXT_FIELDS = ("description", "title+description")    # what of an AG News row is the document
DEVICES = ("auto", "cpu", "cuda")
PRECISIONS = ("auto", "fp32", "bf16")
FEATURE_DTYPES = ("float16", "float32")               # the cached biLM layers
EMBED_INITS = (None, *STATIC_METHODS)                 # the biLM's word embeddings start: random, or these vectors
