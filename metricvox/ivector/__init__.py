"""i-vectors: Baum-Welch statistics against a UBM, the total variability extractor, its training."""
