"""The study's cached stages, by concern: the cache (keys, trust, records), the static rows, the biLM and its ELMo
rows, the experiments over rows (probes, epoch curve, ablations, seeds, learning curve) and serving lookups.
`elmo_lib.study.Study` joins them behind one facade."""
