#!/usr/bin/env bash
# The local job runner, Kaldi run.pl style (cmd.sh sets cmd=utils/run_local.sh):
#   utils/run_local.sh [--max-jobs N] [JOB=1:N] LOG COMMAND [ARGS...]
# runs COMMAND once per job index, with JOB replaced by the index in the log name and
# in every argument, at most N (default: the number of cores) at a time; each job's
# stdout and stderr go to its log. If any job fails, the tail of the first failed log
# is shown and the runner exits 1. Each job's thread count is capped so that the jobs
# running at once use the cores once over. (Argument handling: utils/job_array.sh.)
set -u
max_jobs=$(nproc 2>/dev/null || echo 2)
if [ "${1:-}" = "--max-jobs" ]; then max_jobs=$2; shift 2; fi
. "$(dirname "$0")/job_array.sh"
# Jobs running side by side share the cores: each gets cores / jobs threads (at least one)
# for torch, OpenMP and BLAS, unless the caller set OMP_NUM_THREADS. N jobs each starting
# one thread per core would oversubscribe the machine N times over.
cores=$(nproc 2>/dev/null || echo 2)
side_by_side=$((last - first + 1 < max_jobs ? last - first + 1 : max_jobs))
threads=$((cores / side_by_side > 0 ? cores / side_by_side : 1))
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$threads}
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-$OMP_NUM_THREADS}
export MKL_NUM_THREADS=${MKL_NUM_THREADS:-$OMP_NUM_THREADS}

logs=()
for ((i = first; i <= last; i++)); do
  run_logged "$i" &
  logs+=("$(job_log "$i")")
  while [ "$(jobs -rp | wc -l)" -ge "$max_jobs" ]; do wait -n; done
done
wait
report_failures "${logs[@]}"
exit 0
