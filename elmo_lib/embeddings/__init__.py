"""Word representations: static (SVD, skip-gram) and contextual (ELMo biLM)."""
