"""Matrix/vector tables: metricvox.io.read_matrices / MatrixWriter against kaldiio's own reader and writer."""
import os

import kaldiio
import numpy as np
import pytest

from conftest import assert_one_line_error, run_tool
from metricvox.errors import InputError
from metricvox.io import MatrixWriter, read_matrices, read_matrix_dict


@pytest.fixture
def tables():
    rng = np.random.default_rng(0)
    return {
        "spk1-utt1": rng.standard_normal((7, 5)).astype(np.float32),
        "spk1-utt2": rng.standard_normal((1, 5)).astype(np.float32),
        "spk2-utt1": rng.standard_normal(12).astype(np.float32),
        "spk2-utt2": rng.standard_normal((3, 2)),  # float64 matrix
        "spk3-utt1": rng.standard_normal(4),  # float64 vector
    }


def _assert_same(got, expected):
    assert list(got) == list(expected)
    for key in expected:
        assert got[key].dtype == expected[key].dtype, key
        np.testing.assert_array_equal(got[key], expected[key])


def test_binary_ark_and_scp_read_back_by_kaldiio(tmp_path, tables):
    ark, scp = tmp_path / "feats.ark", tmp_path / "feats.scp"
    with MatrixWriter(f"ark,scp:{ark},{scp}") as writer:
        for key, array in tables.items():
            writer.write(key, array)
    _assert_same(dict(kaldiio.load_ark(str(ark))), tables)
    _assert_same(dict(kaldiio.load_scp(str(scp))), tables)
    # The scp names the final ark, never a temporary file.
    assert all(line.split()[1].rsplit(":", 1)[0] == str(ark) for line in scp.read_text().splitlines())
    assert sorted(os.listdir(tmp_path)) == ["feats.ark", "feats.scp"]


def test_reads_what_kaldiio_writes(tmp_path, tables):
    ark, scp = str(tmp_path / "k.ark"), str(tmp_path / "k.scp")
    kaldiio.save_ark(ark, tables, scp=scp)
    _assert_same(dict(read_matrices(f"ark:{ark}")), tables)
    _assert_same(dict(read_matrices(f"scp:{scp}")), tables)
    assert read_matrix_dict(f"scp:{scp}").keys() == tables.keys()


def test_reads_kaldiio_compressed_matrix(tmp_path):
    matrix = np.linspace(-3, 5, 40, dtype=np.float32).reshape(8, 5)
    ark = str(tmp_path / "c.ark")
    kaldiio.save_ark(ark, {"u": matrix}, compression_method=2)
    (key, got), = read_matrices(f"ark:{ark}")
    expected = kaldiio.load_ark(ark).__next__()[1]
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_allclose(got, matrix, atol=0.01)


def test_text_ark_round_trip_is_bit_exact(tmp_path):
    rng = np.random.default_rng(1)
    table = {"a": rng.standard_normal((4, 3)).astype(np.float32),
             "b": (rng.standard_normal(6) * 1e-30).astype(np.float32)}
    path = tmp_path / "t.ark"
    with MatrixWriter(f"ark,t:{path}") as writer:
        for key, array in table.items():
            writer.write(key, array)
    assert path.read_bytes().startswith(b"a  [\n  ")
    _assert_same(dict(read_matrices(f"ark:{path}")), table)
    _assert_same({k: v.astype(np.float32) for k, v in kaldiio.load_ark(str(path))}, table)


def test_kaldi_written_text_with_integer_looking_values(tmp_path):
    # What Kaldi's copy-feats ark,t: prints: values without a decimal point are still floats.
    path = tmp_path / "kaldi.ark"
    path.write_text("utt1  [\n  0 1.5 -2 \n  3 4e-2 5 ]\nutt2  [ 7 0.25 ]\nutt3  [ ]\n")
    got = dict(read_matrices(f"ark:{path}"))
    np.testing.assert_array_equal(got["utt1"], np.array([[0, 1.5, -2], [3, 0.04, 5]], np.float32))
    assert got["utt1"].dtype == np.float32
    np.testing.assert_array_equal(got["utt2"], np.array([7, 0.25], np.float32))
    assert got["utt3"].size == 0


def test_mixed_binary_and_text_entries_in_one_ark(tmp_path):
    path = tmp_path / "mixed.ark"
    kaldiio.save_ark(str(path), {"b1": np.ones((2, 2), np.float32)})
    with open(path, "ab") as out:
        out.write(b"t1  [ 1 2 3 ]\n")
    got = dict(read_matrices(f"ark:{path}"))
    np.testing.assert_array_equal(got["b1"], np.ones((2, 2)))
    np.testing.assert_array_equal(got["t1"], [1, 2, 3])


def test_scp_entries_with_ranges_and_whole_file_objects(tmp_path):
    matrix = np.arange(20, dtype=np.float32).reshape(5, 4)
    kaldiio.save_ark(str(tmp_path / "m.ark"), {"m": matrix}, scp=str(tmp_path / "m.scp"))
    location = (tmp_path / "m.scp").read_text().split()[1]
    kaldiio.save_mat(str(tmp_path / "single.mat"), matrix)
    (tmp_path / "r.scp").write_text(
        f"rows {location}[1:3]\nboth {location}[0:1,2:3]\nwhole {tmp_path}/single.mat\n"
        f"piped cat {tmp_path}/single.mat |\n")
    got = dict(read_matrices(f"scp:{tmp_path}/r.scp"))
    # Kaldi's ranges are inclusive.
    np.testing.assert_array_equal(got["rows"], matrix[1:4])
    np.testing.assert_array_equal(got["both"], matrix[0:2, 2:4])
    np.testing.assert_array_equal(got["whole"], matrix)
    np.testing.assert_array_equal(got["piped"], matrix)


def test_stdin_stdout_through_real_shell_pipes(tmp_path, tables):
    ark = tmp_path / "a.ark"
    kaldiio.save_ark(str(ark), tables)
    proc = run_tool(f"metricvox-copy-matrix ark:{ark} ark:- | metricvox-copy-matrix - ark,t:- "
                    f"| metricvox-copy-matrix ark:- ark,scp:{tmp_path}/b.ark,{tmp_path}/b.scp")
    assert proc.returncode == 0
    got = dict(kaldiio.load_scp(str(tmp_path / "b.scp")))
    assert list(got) == list(tables)
    for key in tables:  # the text stage turns everything into float32
        np.testing.assert_array_equal(got[key], tables[key].astype(np.float32))


def test_writer_raising_midway_leaves_nothing(tmp_path):
    ark, scp = tmp_path / "o.ark", tmp_path / "o.scp"
    with pytest.raises(RuntimeError):
        with MatrixWriter(f"ark,scp:{ark},{scp}") as writer:
            writer.write("a", np.zeros((2, 2)))
            raise RuntimeError("interrupted")
    assert os.listdir(tmp_path) == []


def test_writer_keeps_an_older_output_on_failure(tmp_path):
    ark = tmp_path / "o.ark"
    ark.write_bytes(b"old")
    with pytest.raises(InputError, match="'bad'"):
        with MatrixWriter(f"ark:{ark}") as writer:
            writer.write("good", np.zeros(3))
            writer.write("bad", np.array([1.0, np.nan]))
    assert ark.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["o.ark"]


def test_non_finite_values_name_the_key(tmp_path):
    with pytest.raises(InputError, match="'u7'.*NaN or infinite"):
        with MatrixWriter(f"ark:{tmp_path}/o.ark") as writer:
            writer.write("u7", np.array([[np.inf, 1.0]]))
    with MatrixWriter(f"ark:{tmp_path}/o.ark", check_finite=False) as writer:
        writer.write("u7", np.array([[np.inf, 1.0]]))
    assert np.isinf(dict(kaldiio.load_ark(str(tmp_path / "o.ark")))["u7"][0, 0])


def test_duplicate_key_in_dict_names_the_scp_line(tmp_path):
    kaldiio.save_ark(str(tmp_path / "a.ark"), {"x": np.zeros(2, np.float32)}, scp=str(tmp_path / "a.scp"))
    line = (tmp_path / "a.scp").read_text()
    (tmp_path / "dup.scp").write_text(line + line)
    with pytest.raises(InputError) as error:
        read_matrix_dict(f"scp:{tmp_path}/dup.scp")
    assert f"{tmp_path}/dup.scp:2" in str(error.value) and "'x'" in str(error.value)


def test_tool_errors_are_one_line_and_leave_no_output(tmp_path, tables):
    ark = tmp_path / "a.ark"
    kaldiio.save_ark(str(ark), tables)
    out = tmp_path / "out.ark"

    truncated = tmp_path / "trunc.ark"
    truncated.write_bytes(ark.read_bytes()[:-10])
    assert_one_line_error(run_tool("metricvox-copy-matrix", f"ark:{truncated}", f"ark:{out}", check=False),
                          str(truncated), "spk3-utt1", "truncated")

    (tmp_path / "missing.scp").write_text(f"a {tmp_path}/nope.ark:5\n")
    assert_one_line_error(run_tool("metricvox-copy-matrix", f"scp:{tmp_path}/missing.scp", f"ark:{out}",
                                   check=False), f"{tmp_path}/missing.scp:1", "nope.ark")

    nan_ark = tmp_path / "nan.ark"
    kaldiio.save_ark(str(nan_ark), {"ok": np.zeros(2, np.float32), "bad": np.array([np.nan], np.float32)})
    assert_one_line_error(run_tool("metricvox-copy-matrix", f"ark:{nan_ark}", f"ark:{out}", check=False),
                          "'bad'", "NaN")

    assert_one_line_error(run_tool("metricvox-copy-matrix", "ark:exit 3 |", f"ark:{out}", check=False),
                          "exit 3", "exit status 3")
    assert_one_line_error(run_tool("metricvox-copy-matrix", f"ark:{tmp_path}/none.ark", f"ark:{out}",
                                   check=False), f"{tmp_path}/none.ark")
    assert_one_line_error(run_tool("metricvox-copy-matrix", "feats.ark", f"ark:{out}", check=False),
                          "rspecifier")
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
