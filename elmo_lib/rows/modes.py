"""The three ELMo settings of the reference study: trainable λ, frozen λ and a learned function of the layers."""
from elmo_lib.plugins import MixingMode, register_mixing_mode

register_mixing_mode(MixingMode("trainable", "elmo_lib.embeddings.mixing:trainable_mix", "trainable λ", reference=0.91))
register_mixing_mode(MixingMode("frozen", "elmo_lib.embeddings.mixing:frozen_mix", "frozen λ", reference=0.85))
register_mixing_mode(MixingMode("function", "elmo_lib.embeddings.mixing:function_mix", "learnable function",
                                reference=0.90))
