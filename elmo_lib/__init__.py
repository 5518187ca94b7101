"""elmo_lib: contextual (ELMo biLM) versus static (SVD, skip-gram) embeddings for AG News classification."""
__version__ = "0.1.0"

from elmo_lib.blas import pin_openblas_kernels as _pin_openblas_kernels

_pin_openblas_kernels()  # before numpy loads OpenBLAS: the same kernels on every AVX2 and AVX-512 CPU (elmo_lib.blas)


def load_classifier(model: str, profile: str = "auto", overrides: dict | None = None, artifacts=None):
    """Return a Predictor for a trained row: `.predict(texts)` gives (class names, probabilities)."""
    from elmo_lib.predict import load_classifier as load
    return load(model, profile, overrides, artifacts)


def load_bilm(profile: str = "auto", overrides: dict | None = None, artifacts=None):
    """Return an Embedder over the trained biLM: `.embed(texts)` gives each text's tokens and (tokens, L + 1, D)
    layers."""
    from elmo_lib.embed import load_bilm as load
    return load(profile, overrides, artifacts)


def embed(texts, profile: str = "auto", overrides: dict | None = None, artifacts=None, batch_size: int = 64):
    """Return each text's tokens and contextual layers from the trained biLM of `profile` (see load_bilm)."""
    return load_bilm(profile, overrides, artifacts).embed(texts, batch_size)


def study(profile: str = "auto", overrides: dict | None = None, artifacts=None):
    """Return the Study of `profile` over `artifacts` (default: the checkout's artifacts/), as the notebooks open it."""
    from elmo_lib.notebook import open_study
    return open_study(profile, overrides, artifacts, announce=False)
