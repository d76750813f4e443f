"""Kaldi data directories, text tables, trials and audio reading."""
