"""Analysis: memory-signal theory (mean field, Markov chains), lifetimes, SNR."""
