"""The fixed names settings choose among, in one torch-free home (the settings check them; the modules that
implement them read them from here, so a choice is never listed twice).
"""

# The rows (static methods, baselines) and the mixing modes are plug-ins that declare themselves: elmo_lib.plugins.
LAYER_NORMS = ("none", "masked", "token")             # normalisation of each layer before the mix (embeddings.features)
WEIGHTINGS = ("count", "log", "ppmi")                 # the SVD's co-occurrence weighting (embeddings.svd)
SOFTMAXES = ("full", "adaptive")                      # the biLM's output layer
TEXT_FIELDS = ("description", "title+description")    # what of an AG News row is the document
DEVICES = ("auto", "cpu", "cuda")
PRECISIONS = ("auto", "fp32", "bf16")
FEATURE_DTYPES = ("float16", "float32")               # the cached biLM layers
