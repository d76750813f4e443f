"""Unsupervised selection of client and impostor pairs in i-vector space (the Siamese paper)."""
