"""Classifiers of a class task and of closed-set identification, and the score files they write.

The acoustic-source paper's classifiers (nearest class centroid of embeddings, the
MFCC + GMM and MFCC + linear SVM baselines with their training and labelled
frames) all write class score files (class_scores); closed-set identification
(identification) ranks enrolled prototypes for each query. Judging and reporting
their output is :mod:`metricvox.reports`.
"""
