"""Kaldi table I/O: specifiers, matrix/vector arks and scps (over kaldiio), atomic writes, pipes."""

from metricvox.io.atomic import atomic_write
from metricvox.io.lines import iter_lines
from metricvox.io.matrix_reader import read_matrices, read_matrix_dict
from metricvox.io.matrix_writer import MatrixWriter
from metricvox.io.pipes import is_pipe, open_pipe, run_pipe
from metricvox.io.specifiers import RSpecifier, WSpecifier, parse_rspecifier, parse_wspecifier

__all__ = [
    "atomic_write", "iter_lines", "read_matrices", "read_matrix_dict", "MatrixWriter",
    "is_pipe", "open_pipe", "run_pipe", "RSpecifier", "WSpecifier", "parse_rspecifier",
    "parse_wspecifier",
]
