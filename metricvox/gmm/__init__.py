"""Gaussian mixture models: the UBM, MAP adaptation and GMM-UBM scoring."""
