#!/usr/bin/env bash
# The local job runner, Kaldi run.pl style (cmd.sh sets cmd=utils/run_local.sh):
#   utils/run_local.sh [--max-jobs N] [JOB=1:N] LOG COMMAND [ARGS...]
# runs COMMAND once per job index, with JOB replaced by the index in the log name and
# in every argument, at most N (default: the number of cores) at a time; each job's
# stdout and stderr go to its log. If any job fails, the tail of the first failed log
# is shown and the runner exits 1. (Argument handling: utils/job_array.sh.)
set -u
max_jobs=$(nproc 2>/dev/null || echo 2)
if [ "${1:-}" = "--max-jobs" ]; then max_jobs=$2; shift 2; fi
. "$(dirname "$0")/job_array.sh"

logs=()
for ((i = first; i <= last; i++)); do
  run_logged "$i" &
  logs+=("$(job_log "$i")")
  while [ "$(jobs -rp | wc -l)" -ge "$max_jobs" ]; do wait -n; done
done
wait
report_failures "${logs[@]}"
exit 0
