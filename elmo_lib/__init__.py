"""elmo_lib: contextual (ELMo biLM) versus static (SVD, skip-gram) embeddings for AG News classification."""
__version__ = "0.1.0"
