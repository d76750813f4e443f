"""The shell glue shared by recipes: option parsing, the job runners and the stage helpers."""
import os
import re
import shutil
import subprocess

import pytest

from conftest import REPO

UTILS = REPO / "egs" / "utils"


def _bash(script, cwd):
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, cwd=cwd)


def test_parse_options_sets_known_variables_and_refuses_others(tmp_path):
    script = tmp_path / "recipe.sh"
    script.write_text(f"stage=0\nstop_stage=100\nnj=2\n. {UTILS}/parse_options.sh\n"
                      'echo "$stage $stop_stage $nj $*"\n')
    proc = _bash(f"bash {script} --stop-stage 5 --nj=4 rest words", tmp_path)
    assert proc.stdout.strip() == "0 5 4 rest words"
    proc = _bash(f"bash {script} --stopstage 5", tmp_path)
    assert proc.returncode == 1 and "unknown option --stopstage" in proc.stderr
    proc = _bash(f"bash {script} --nj", tmp_path)
    assert proc.returncode == 1 and "needs a value" in proc.stderr


# Each recipe's options (set before it parses them) and one variable it sets only afterwards.
RECIPE_OPTIONS = {
    "voxceleb": (["--stage 0", "--standin-size small", "--mining-k ", "--conf-dir "], "--eval-set"),
    "singer5057": (["--stage 0", "--separate true", "--trials-per-singer ", "--conf-dir "], "--systems"),
    "urbansound8k": (["--stage 0", "--device cpu", "--ins-per-class ", "--conf-dir "], "--class-list"),
}


@pytest.mark.parametrize("recipe", sorted(RECIPE_OPTIONS))
def test_recipe_help_lists_its_options_from_any_working_directory(recipe, tmp_path):
    options, not_an_option = RECIPE_OPTIONS[recipe]
    for cwd, path in ((REPO / "egs" / recipe, "./run.sh"), (REPO, f"egs/{recipe}/run.sh"),
                      (REPO / "egs", f"{recipe}/run.sh"), (tmp_path, REPO / "egs" / recipe / "run.sh")):
        proc = _bash(f"{path} --help", cwd)
        assert proc.returncode == 0, (cwd, path, proc.stderr)
        lines = proc.stderr.splitlines()
        assert lines[0] == f"usage: {path} [options]", (cwd, path, proc.stderr)
        for option in options:
            assert f"  {option}" in lines, (cwd, path, option, proc.stderr)
        assert not any(line.startswith(f"  {not_an_option} ") for line in lines), proc.stderr
    assert not list(tmp_path.iterdir())  # --help ran nothing


def test_conf_dir_defaults_to_the_settings_of_the_corpus_and_must_exist(tmp_path):
    for name in ("conf/standin-mini", "conf/standin-small", "my-conf"):
        (tmp_path / name).mkdir(parents=True)

    def conf_dir(options):
        return _bash(f"{options}; . {UTILS}/standin.sh; echo $conf_dir", tmp_path)

    assert conf_dir("corpus= standin_size=mini conf_dir=").stdout == "conf/standin-mini\n"
    assert conf_dir("corpus= standin_size=small conf_dir=").stdout == "conf/standin-small\n"
    assert conf_dir("corpus=/data/real standin_size=small conf_dir=").stdout == "conf\n"
    assert conf_dir("corpus=/data/real standin_size=small conf_dir=my-conf").stdout == "my-conf\n"
    proc = conf_dir("corpus=/data/real standin_size=small conf_dir=conf/standin-big")
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr == f"bash: --conf-dir conf/standin-big: no such directory (in {tmp_path})\n"


@pytest.mark.parametrize("recipe", sorted(RECIPE_OPTIONS))
def test_recipe_refuses_a_conf_dir_that_does_not_exist(recipe, tmp_path):
    proc = _bash(f"{REPO / 'egs' / recipe / 'run.sh'} --conf-dir {tmp_path}/none --stage 100", tmp_path)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.endswith(f"run.sh: --conf-dir {tmp_path}/none: no such directory "
                                f"(in {REPO / 'egs' / recipe})\n"), proc.stderr
    assert len(proc.stderr.splitlines()) == 1
    assert not list(tmp_path.iterdir())


def test_run_local_substitutes_job_index_and_logs(tmp_path):
    proc = _bash(f"{UTILS}/run_local.sh JOB=1:3 log/x.JOB.log echo part JOB \\| tr a-z A-Z", tmp_path)
    assert proc.returncode == 0, proc.stderr
    for j in (1, 2, 3):
        assert f"PART {j}" in (tmp_path / "log" / f"x.{j}.log").read_text()


def _job_output(log):
    """What a job printed: its log without the runner's '#' lines."""
    return "".join(l for l in log.read_text().splitlines(True) if not l.startswith("#")).strip()


def test_run_local_gives_each_job_its_share_of_the_cores(tmp_path):
    def threads(command):
        proc = _bash(f"env -u OMP_NUM_THREADS {command} printenv OMP_NUM_THREADS", tmp_path)
        assert proc.returncode == 0, proc.stderr
        return [int(_job_output((tmp_path / "log" / f"t.{j}.log")))
                for j in range(1, 1 + len(list((tmp_path / "log").glob("t.*.log"))))]

    cores = os.cpu_count()
    assert threads(f"{UTILS}/run_local.sh log/t.1.log") == [cores]
    shutil.rmtree(tmp_path / "log")
    assert threads(f"{UTILS}/run_local.sh --max-jobs 2 JOB=1:5 log/t.JOB.log") == [max(cores // 2, 1)] * 5
    shutil.rmtree(tmp_path / "log")
    assert threads(f"{UTILS}/run_local.sh --max-jobs {4 * cores} JOB=1:{4 * cores} log/t.JOB.log") == [1] * 4 * cores
    shutil.rmtree(tmp_path / "log")
    # A count the caller chose is kept.
    proc = _bash(f"OMP_NUM_THREADS=7 {UTILS}/run_local.sh JOB=1:2 log/t.JOB.log printenv OMP_NUM_THREADS",
                 tmp_path)
    assert _job_output(tmp_path / "log" / "t.2.log") == "7"


def test_run_local_reports_the_failed_job(tmp_path):
    proc = _bash(f"{UTILS}/run_local.sh JOB=1:3 log/y.JOB.log "
                 "bash -c 'echo job JOB speaking; test JOB -ne 2'", tmp_path)
    assert proc.returncode == 1
    assert "1 of 3 jobs failed; see log/y.2.log" in proc.stderr
    assert "job 2 speaking" in proc.stderr


def test_filter_scp_keeps_or_drops_the_listed_keys_in_table_order(tmp_path):
    (tmp_path / "keys").write_text("c 3\na 1\n")
    (tmp_path / "table").write_text("a x\nb y y\nc z\n")
    keep = _bash(f"{UTILS}/filter_scp.sh keys table", tmp_path)
    assert keep.stdout == "a x\nc z\n"
    drop = _bash(f"{UTILS}/filter_scp.sh --exclude keys table", tmp_path)
    assert drop.stdout == "b y y\n"
    missing = _bash(f"{UTILS}/filter_scp.sh nokeys table", tmp_path)
    assert missing.returncode == 1 and "nokeys: no such file" in missing.stderr


# run_slurm.sh on a real Slurm cluster: tests/test_recipe_slurm.py.
def test_run_slurm_needs_sbatch(tmp_path):
    bindir = tmp_path / "bin"  # a PATH without Slurm's programs
    bindir.mkdir()
    for program in ("bash", "dirname"):
        (bindir / program).symlink_to(shutil.which(program))
    proc = _bash(f"PATH={bindir} {UTILS}/run_slurm.sh log/z.log true", tmp_path)
    assert proc.returncode == 1 and "sbatch not found" in proc.stderr


def test_select_scores_picks_a_lists_trials_in_its_order(tmp_path):
    (tmp_path / "union").write_text("a b 0.5\na c -1\nb c 2\n")
    (tmp_path / "list").write_text("b c target\na b nontarget\n")
    proc = _bash(f"{UTILS}/select_scores.sh list union", tmp_path)
    assert proc.returncode == 0 and proc.stdout == "b c 2\na b 0.5\n"
    (tmp_path / "list2").write_text("a b target\nc a nontarget\n")
    proc = _bash(f"{UTILS}/select_scores.sh list2 union", tmp_path)
    assert proc.returncode == 1 and "list2:2: trial c a has no score in union" in proc.stderr


def _recipe_script(tmp_path, body):
    """A recipe-like script (set -euo pipefail) that sources the stage helpers, then BODY."""
    script = tmp_path / "steps.sh"
    script.write_text(f"set -euo pipefail\n. {UTILS}/stage_helpers.sh\n{body}")
    return f"bash {script}"


def test_run_stage_is_true_from_stage_to_stop_stage(tmp_path):
    proc = _bash(_recipe_script(tmp_path, "stage=2; stop_stage=4\n"
                                "for n in 1 2 3 4 5; do if run_stage $n; then echo $n; fi; done\n"), tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert [l for l in proc.stdout.split("\n") if l and not l.startswith("#")] == ["2", "3", "4"]


def test_each_stage_and_the_whole_run_report_wall_and_cpu_time(tmp_path):
    # Stage 1 keeps the CPU busy for about a second in a child, stage 2 sleeps a second.
    busy = "python3 -c 'import time; t = time.process_time(); exec(\"while time.process_time() - t < 1.2: pass\")'"
    body = (f"stage=1; stop_stage=2\nif run_stage 1; then {busy}; fi\n"
            "if run_stage 2; then sleep 1.2; fi\n")
    proc = _bash(_recipe_script(tmp_path, body), tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert re.fullmatch(r"# stage 1 took 0m0[12]s wall, 0m01s CPU", lines[0]), lines
    assert re.fullmatch(r"# stage 2 took 0m0[12]s wall, 0m00s CPU", lines[1]), lines
    assert re.fullmatch(r"# stages 1\.\.2 took 0m0[234]s wall, 0m01s CPU", lines[2]), lines
    # A failed run reports nothing at its end: its last stage did not finish.
    proc = _bash(_recipe_script(tmp_path, "stage=1; stop_stage=1\nif run_stage 1; then false; fi\n"),
                 tmp_path)
    assert proc.returncode != 0 and proc.stdout == ""


def test_stages_record_their_times_and_the_runs_settings_for_the_html_report(tmp_path):
    script = tmp_path / "recipe.sh"
    script.write_text(f"set -euo pipefail\nstage=1\nstop_stage=3\nname=\n"
                      f". {UTILS}/parse_options.sh\n. {UTILS}/stage_helpers.sh\n"
                      "for n in 1 2 3; do if run_stage $n; then sleep 0.6; fi; done\n")
    for args in (["--name", "a\tb\nc"], ["--stage", "3"]):
        assert subprocess.run(["bash", "recipe.sh", *args], cwd=tmp_path).returncode == 0
    settings = [line.split("\t") for line in (tmp_path / "exp/run_settings.tsv").read_text().splitlines()]
    first, second = settings[1][0], settings[-1][0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", first)
    assert settings == [["run", "option", "value"],
                        [first, "command", "recipe.sh --name $'a\\tb\\nc'"], [first, "stage", "1"],
                        [first, "stop_stage", "3"], [first, "name", "a b c"],
                        [second, "command", "recipe.sh --stage 3"], [second, "stage", "3"],
                        [second, "stop_stage", "3"], [second, "name", ""]]
    times = [line.split("\t") for line in (tmp_path / "exp/stage_times.tsv").read_text().splitlines()]
    assert times[0] == ["run", "stage", "wall_seconds", "cpu_seconds"]
    assert [row[:2] for row in times[1:]] == [[first, "1"], [first, "2"], [first, "3"], [second, "3"]]
    assert all(row[2] in ("0", "1") and row[3] == "0" for row in times[1:]), times


def test_final_model_is_the_best_epoch_when_there_is_one(tmp_path):
    (tmp_path / "exp").mkdir()
    (tmp_path / "exp" / "last.pt").write_text("")
    script = _recipe_script(tmp_path, "final_model exp\n")
    assert _bash(script, tmp_path).stdout == "exp/last.pt\n"
    (tmp_path / "exp" / "best.pt").write_text("")
    assert _bash(script, tmp_path).stdout == "exp/best.pt\n"


FAKE_TRAIN = """#!/usr/bin/env bash
# Stands in for metricvox-train: records its arguments, exits with $TRAIN_STATUS.
echo "$*" >> "$TRAIN_CALLS"
exit "${TRAIN_STATUS:-0}"
"""


def _train_once(tmp_path, status=0, body="train_once exp/a --config a.yaml --seed 3\necho after\n"):
    bindir = tmp_path / "fakebin"
    bindir.mkdir(exist_ok=True)
    (bindir / "metricvox-train").write_text(FAKE_TRAIN)
    (bindir / "metricvox-train").chmod(0o755)
    (tmp_path / "exp" / "a").mkdir(parents=True, exist_ok=True)
    if not (tmp_path / "a.yaml").exists():
        (tmp_path / "a.yaml").write_text("epochs: 2\n")
    calls = tmp_path / "calls"
    proc = _bash(f"PATH={bindir}:$PATH TRAIN_CALLS={calls} TRAIN_STATUS={status} "
                 + _recipe_script(tmp_path, body), tmp_path)
    lines = calls.read_text().splitlines() if calls.exists() else []
    calls.unlink(missing_ok=True)
    return proc, lines


def test_train_once_trains_then_marks_done_and_afterwards_skips(tmp_path):
    proc, calls = _train_once(tmp_path)
    assert proc.returncode == 0 and proc.stdout == "after\n", proc.stderr
    assert calls == ["--config a.yaml --seed 3 --out exp/a"]
    assert (tmp_path / "exp" / "a" / "done").exists()
    proc, calls = _train_once(tmp_path)
    assert proc.returncode == 0 and proc.stdout == "after\n" and calls == []


def test_train_once_never_reuses_a_model_trained_with_other_settings(tmp_path):
    assert _train_once(tmp_path)[0].returncode == 0
    # Another device is the same training: skipped.
    proc, calls = _train_once(tmp_path, body="train_once exp/a --config a.yaml --seed 3 "
                              "--device cuda\necho after\n")
    assert proc.returncode == 0 and calls == [], proc.stderr
    # Another YAML, seed or data dir: a one-line error, nothing trained, the model kept.
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "utt2spk").write_text("u1 s1\n")
    for body in ("train_once exp/a --config a.yaml --seed 4\n",
                 "train_once exp/a --config a.yaml --seed 3 --data data\n"):
        proc, calls = _train_once(tmp_path, body=body)
        assert proc.returncode != 0 and calls == []
        assert proc.stderr.count("\n") == 1 and "exp/a was trained with other settings" in proc.stderr
    (tmp_path / "a.yaml").write_text("epochs: 3\n")
    proc, calls = _train_once(tmp_path)
    assert proc.returncode != 0 and calls == [] and "other settings" in proc.stderr
    # A done file from before settings were recorded: used as it is, and said so.
    (tmp_path / "exp" / "a" / "done").write_text("")
    proc, calls = _train_once(tmp_path)
    assert proc.returncode == 0 and calls == [] and "records no settings" in proc.stdout


def test_train_once_resumes_a_training_that_was_cut_off(tmp_path):
    (tmp_path / "exp" / "a").mkdir(parents=True)
    (tmp_path / "exp" / "a" / "last.pt").write_text("")
    proc, calls = _train_once(tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert calls == ["--config a.yaml --seed 3 --out exp/a --resume"]


def test_a_failed_training_is_not_marked_done_and_stops_the_recipe(tmp_path):
    proc, calls = _train_once(tmp_path, status=3)
    assert proc.returncode != 0 and "after" not in proc.stdout
    assert len(calls) == 1 and not (tmp_path / "exp" / "a" / "done").exists()
    # Where set -e is off (a condition), the status still tells, and done is still not written.
    proc, calls = _train_once(tmp_path, status=3, body="train_once exp/a || echo failed $?\n")
    assert proc.returncode == 0 and proc.stdout == "failed 3\n", proc.stderr
    assert len(calls) == 1 and not (tmp_path / "exp" / "a" / "done").exists()


def test_write_report_writes_the_whole_report_and_shows_it(tmp_path):
    proc = _bash(_recipe_script(tmp_path, "report() { echo '# title'; echo; seq 3; }\n"
                                "write_report RESULTS.md report\n"), tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "RESULTS.md").read_text() == "# title\n\n1\n2\n3\n" == proc.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["RESULTS.md", "steps.sh"]


def test_write_report_that_fails_midway_leaves_no_file_and_stops_the_recipe(tmp_path):
    # The failing command is not the report's last: set -e must end the report there.
    script = _recipe_script(tmp_path, "report() { echo '# title'; wc -l < missing_file; echo tail; }\n"
                            "write_report RESULTS.md report\necho after\n")
    proc = _bash(script, tmp_path)
    assert proc.returncode != 0 and "missing_file" in proc.stderr
    assert proc.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["steps.sh"]
    (tmp_path / "RESULTS.md").write_text("the last report\n")
    assert _bash(script, tmp_path).returncode != 0
    assert (tmp_path / "RESULTS.md").read_text() == "the last report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["RESULTS.md", "steps.sh"]
