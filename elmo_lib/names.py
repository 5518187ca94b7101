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
# the classifier's learning-rate schedule after its warm-up: "plateau" (halve after an epoch without a new best,
# stop after `patience` of them) or "cosine" (down to 0 over exactly `cosine_epochs`, else `max_epochs`, the best
# validation epoch kept)
SCHEDULES = ("plateau", "cosine")
FEATURE_DTYPES = ("float16", "float32")               # the cached biLM layers
# report sections the answer does not need, run where a profile's `extras` (or `--with`) names them
EXTRAS = ("ablations", "epoch_curve")
