"""elmo_lib: contextual (ELMo biLM) versus static (SVD, skip-gram) embeddings for AG News classification."""
__version__ = "0.1.0"


def load_classifier(model: str, profile: str = "auto", overrides: dict | None = None, artifacts=None):
    """Return a Predictor for a trained row: `.predict(texts)` gives (class names, probabilities)."""
    from elmo_lib.predict import load_classifier as load
    return load(model, profile, overrides, artifacts)
