"""Kaldi text tables (metricvox.data.tables): reading with file:line errors, atomic writing."""
import pytest

from metricvox.data.tables import Row, iter_lines, read_table, read_three_columns, write_table
from metricvox.errors import InputError


def _error(path, **options):
    with pytest.raises(InputError) as error:
        read_table(path, **options)
    return str(error.value)


def test_rows_keep_the_rest_of_the_line(tmp_path):
    path = tmp_path / "wav.scp"
    path.write_text("a /x/a.wav\nb ffmpeg -v quiet -i b.m4a -f wav - |\nc\n")
    rows = read_table(path)
    assert rows == [Row("a", "/x/a.wav", 1), Row("b", "ffmpeg -v quiet -i b.m4a -f wav - |", 2),
                    Row("c", "", 3)]
    assert rows[1].fields[:2] == ["ffmpeg", "-v"]


def test_c_byte_order_not_locale_order(tmp_path):
    path = tmp_path / "utt2spk"
    # In C order upper case sorts before lower case and '-' (0x2d) before '_' (0x5f).
    path.write_text("B x\na-1 x\na_1 x\n")
    assert [r.key for r in read_table(path)] == ["B", "a-1", "a_1"]
    path.write_text("a x\nB x\n")
    assert _error(path) == f"{path}:2: key 'B' is out of order after 'a' (sort the file with LC_ALL=C sort)"


def test_duplicate_and_empty_keys_and_field_counts(tmp_path):
    path = tmp_path / "t"
    path.write_text("a 1\na 2\n")
    assert _error(path) == f"{path}:2: duplicate key 'a' (first on line 1)"
    path.write_text("b 1\na 2\na 3\n")
    assert "duplicate key 'a'" in _error(path, sorted_keys=False)
    assert len(read_table(path, sorted_keys=False, unique_keys=False)) == 3
    path.write_text("a 1\n b 2\n")
    assert _error(path) == f"{path}:2: line starts with whitespace: empty key"
    path.write_text("a 1\n\n")
    assert _error(path).startswith(f"{path}:2: empty line")
    path.write_text("a 1 2\nb 1\n")
    assert _error(path, min_fields=3) == f"{path}:2: expected at least 3 fields, got 2"
    assert _error(path, min_fields=2, max_fields=2) == f"{path}:1: expected 2 fields, got 3"


def test_missing_file_and_bad_encoding(tmp_path):
    assert _error(tmp_path / "nope").startswith(f"{tmp_path / 'nope'}: cannot open")
    path = tmp_path / "latin1"
    path.write_bytes(b"a 1\n\xe9t\xe9 2\n")
    assert _error(path) == f"{path}:2: line is not valid UTF-8 text"


def test_iter_lines_strips_terminators(tmp_path):
    path = tmp_path / "t"
    path.write_bytes(b"one\r\ntwo\nthree")
    assert list(iter_lines(path)) == [(1, "one"), (2, "two"), (3, "three")]


def test_write_table_accepts_rows_pairs_and_tuples(tmp_path):
    path = tmp_path / "out"
    write_table(path, [Row("a", "x y", 4), ("b", "z"), ("c", 1, 2.5), Row("d", "", 9)])
    assert path.read_text() == "a x y\nb z\nc 1 2.5\nd\n"


# --- three-column files (trials, scores, class scores, pair and triplet lists) -----------

def _number(name, other, value):
    try:
        return name, other, float(value)
    except ValueError:
        raise InputError(f"value {value!r} is not a number") from None


def _three_columns_error(path, parse=_number):
    with pytest.raises(InputError) as error:
        list(read_three_columns(path, "'a b value'", parse))
    return error.value


def test_three_columns_yield_each_lines_value_and_number(tmp_path):
    path = tmp_path / "scores"
    # Any order, blank lines skipped (and counted), any whitespace between fields.
    path.write_text("b x 2.5\n\n  a\ty  -1e3 \r\n")
    assert list(read_three_columns(path, "'a b value'", _number)) == [
        (1, ("b", "x", 2.5)), (3, ("a", "y", -1000.0))]
    assert list(read_three_columns(path, "'a b c'")) == [(1, ("b", "x", "2.5")),
                                                          (3, ("a", "y", "-1e3"))]
    path.write_text("")
    assert list(read_three_columns(path, "'a b c'")) == []


@pytest.mark.parametrize("line", ["a b", "a b 1 extra", "a"])
def test_three_columns_other_field_counts_name_the_layout(tmp_path, line):
    path = tmp_path / "scores"
    path.write_text(f"a x 1\n{line}\n")
    error = _three_columns_error(path)
    assert str(error) == f"{path}:2: expected 'a b value', got {line!r}"
    assert (error.path, error.line) == (str(path), 2)


def test_three_columns_bad_value_is_located_at_its_line(tmp_path):
    path = tmp_path / "scores"
    path.write_text("a x 1\n\na y high\n")
    error = _three_columns_error(path)
    assert str(error) == f"{path}:3: value 'high' is not a number"
    assert (error.path, error.line) == (str(path), 3)


def test_three_columns_parse_refusing_the_fields_is_the_layout_error(tmp_path):
    path = tmp_path / "trials"
    path.write_text("a x target\na y maybe\n")

    def labelled(enroll, test, label):
        return (enroll, test, label == "target") if label in ("target", "nontarget") else None

    assert str(_three_columns_error(path, labelled)) == f"{path}:2: expected 'a b value', got 'a y maybe'"


def test_three_columns_keep_an_error_the_parse_located_itself(tmp_path):
    path = tmp_path / "scores"
    path.write_text("a x 1\n")

    def elsewhere(*fields):
        raise InputError("bad entry", "other/file", 7)

    assert str(_three_columns_error(path, elsewhere)) == "other/file:7: bad entry"
