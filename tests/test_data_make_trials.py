"""metricvox-make-trials: balanced, labelled by speaker, no pair twice, seeded."""
from conftest import assert_one_line_error, run_tool
from metricvox.data.make_trials import balanced_trials


def _utt2spk(speakers=4, per_speaker=5):
    return {f"s{s}-u{u}": f"s{s}" for s in range(speakers) for u in range(per_speaker)}


def test_trials_are_labelled_by_speaker_balanced_and_never_listed_twice():
    utt2spk = _utt2spk()
    trials = balanced_trials(utt2spk, per_utterance=2, seed=3)
    assert all(is_target == (utt2spk[a] == utt2spk[b]) for a, b, is_target in trials)
    pairs = [frozenset((a, b)) for a, b, _ in trials]
    assert len(pairs) == len(set(pairs)) and all(len(p) == 2 for p in pairs)
    # 5 utterances a speaker give 10 distinct same-speaker pairs: each enrollment takes up
    # to 2 not yet listed, and as many non-targets (one when no target is left).
    for enroll in utt2spk:
        mine = [t for a, _, t in trials if a == enroll]
        assert sum(mine) <= 2 and len(mine) - sum(mine) == max(sum(mine), 1)
    assert 4 * 7 <= sum(t for _, _, t in trials) <= 4 * 10
    assert balanced_trials(utt2spk, 2, seed=3) == trials != balanced_trials(utt2spk, 2, seed=4)


def test_tool_writes_kaldi_trials_and_rejects_one_speaker(tmp_path):
    (tmp_path / "utt2spk").write_text("".join(f"{u} {s}\n" for u, s in sorted(_utt2spk(2, 3).items())))
    run_tool("metricvox-make-trials", "--per-utterance", "1", tmp_path, tmp_path / "trials")
    lines = (tmp_path / "trials").read_text().splitlines()
    assert lines == sorted(lines) and all(l.split()[2] in ("target", "nontarget") for l in lines)
    (tmp_path / "utt2spk").write_text("a x\nb x\n")
    proc = run_tool("metricvox-make-trials", tmp_path, tmp_path / "t2", check=False)
    assert_one_line_error(proc, "trials need at least 2 speakers, the data have 1")
    assert not (tmp_path / "t2").exists()


def test_speakers_of_one_utterance_each_give_no_list(tmp_path):
    (tmp_path / "utt2spk").write_text("a x\nb y\nc z\n")
    proc = run_tool("metricvox-make-trials", tmp_path, tmp_path / "trials", check=False)
    assert_one_line_error(proc, f"{tmp_path}/utt2spk", "no target trial")
    assert not (tmp_path / "trials").exists()


def test_one_dominant_speaker_still_gets_its_non_targets():
    # 40 utterances of one speaker, 2 of another: most random draws are rejected, and
    # the fallback must still give every enrollment its non-target where one is free.
    utt2spk = {**{f"a{u:02d}": "a" for u in range(40)}, "b0": "b", "b1": "b"}
    trials = balanced_trials(utt2spk, per_utterance=1, seed=0)
    for enroll in utt2spk:
        mine = [t for a, _, t in trials if a == enroll]
        assert len(mine) - sum(mine) >= 1 or all(
            frozenset((enroll, other)) in {frozenset((a, b)) for a, b, _ in trials}
            for other in utt2spk if utt2spk[other] != utt2spk[enroll])
