"""Voiced regions and the clips chosen in them (metricvox.data.voiced_clips)."""
import numpy as np
import pytest

from metricvox.data.voiced_clips import (choose_clips, eligible_starts, format_regions,
                                         parse_regions, read_phrases)
from metricvox.errors import InputError


def test_eligible_starts_need_the_voiced_fraction_inside_the_track():
    # 10 s track, phrase 2-5 s, 3.5 s clips, half voiced: a clip [s, s + 3.5] holds
    # min(5, s + 3.5) - max(2, s) voiced seconds >= 1.75, i.e. 0.25 <= s <= 3.25.
    starts = eligible_starts([(2.0, 5.0)], 10.0, 3.5, 0.5)
    assert starts[0] == pytest.approx(0.25) and starts[-1] == pytest.approx(3.25)
    assert np.allclose(np.diff(starts), 0.01)
    assert len(eligible_starts([(0.0, 3.0)], 3.0, 3.5, 0.5)) == 0        # track too short
    assert len(eligible_starts([(0.0, 1.0)], 10.0, 3.5, 0.5)) == 0       # too little voiced


def test_chosen_clips_are_spaced_seeded_and_at_most_the_count():
    starts = np.arange(0, 600) * 0.01
    clips = choose_clips(starts, 4, 1.0, seed=3, key="s-t")
    assert len(clips) == 4 and clips == sorted(clips)
    assert min(np.diff(clips)) >= 1.0 - 1e-9
    assert clips == choose_clips(starts, 4, 1.0, seed=3, key="s-t")
    assert clips != choose_clips(starts, 4, 1.0, seed=4, key="s-t")
    # Six seconds of starts hold at most six starts 1 s apart.
    assert len(choose_clips(starts, 50, 1.0, seed=3, key="s-t")) <= 6


def test_phrases_are_clipped_to_the_track_and_bad_lines_located(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("0.5 1.25\n\n3.0 12.0\n11.0 13.0\n")
    # The phrase past the end of a 10 s track is dropped, the one across it cut.
    assert read_phrases(path, 10.0) == [(0.5, 1.25), (3.0, 10.0)]
    for text, line, message in (("1 2\n2 x\n", 2, "expected 'onset offset' in seconds, got '2 x'"),
                                ("1 2 3\n", 1, "expected 'onset offset' in seconds, got '1 2 3'"),
                                ("2 1\n", 1, "phrase 2.0 1.0: need 0 <= onset < offset")):
        path.write_text(text)
        with pytest.raises(InputError) as error:
            read_phrases(path, 10.0)
        assert str(error.value) == f"{path}:{line}: {message}"


def test_voiced_table_entries_read_back_what_was_written():
    regions = [(0.5, 1.25), (3.0, 10.0)]
    assert format_regions(regions) == "0.50 1.25 3.00 10.00"
    assert parse_regions(format_regions(regions).split(), "voiced", 4) == regions
    assert parse_regions([], "voiced", 4) == []
    for fields, message in ((["1", "2", "3"], "expected pairs of 'start end' times"),
                            (["1", "x"], "voiced region times must be numbers")):
        with pytest.raises(InputError) as error:
            parse_regions(fields, "voiced", 4)
        assert str(error.value) == f"voiced:4: {message}"
