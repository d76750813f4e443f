#!/usr/bin/env bash
# The local job runner, Kaldi run.pl style (cmd.sh sets train_cmd=utils/run_local.sh):
#   utils/run_local.sh [--max-jobs N] [JOB=1:N] LOG COMMAND [ARGS...]
# runs COMMAND once per job index, with JOB replaced by the index in the log name and
# in every argument, at most N (default: the number of cores) at a time; each job's
# stdout and stderr go to its log. An argument holding white space is quoted; a bare
# '|' (written \| in the recipe) is a pipe. If any job fails, the tail of the first
# failed log is shown and the runner exits 1.
set -u
max_jobs=$(nproc 2>/dev/null || echo 2)
if [ "${1:-}" = "--max-jobs" ]; then max_jobs=$2; shift 2; fi
first=1; last=1; var=
if [[ "${1:-}" =~ ^([A-Za-z_]+)=([0-9]+):([0-9]+)$ ]]; then
  var=${BASH_REMATCH[1]}; first=${BASH_REMATCH[2]}; last=${BASH_REMATCH[3]}; shift
fi
if [ $# -lt 2 ]; then
  echo "usage: $0 [--max-jobs N] [JOB=1:N] LOG COMMAND [ARGS...]" >&2; exit 1
fi
log_template=$1; shift
command_line=
for arg in "$@"; do
  if [[ "$arg" =~ [[:space:]] ]]; then arg="'${arg//\'/\'\\\'\'}'"; fi
  command_line+="$arg "
done

substitute() {  # substitute TEXT INDEX
  if [ -n "$var" ]; then printf '%s' "${1//$var/$2}"; else printf '%s' "$1"; fi
}

pids=(); logs=()
for ((i = first; i <= last; i++)); do
  log=$(substitute "$log_template" "$i")
  mkdir -p "$(dirname "$log")"
  job_command=$(substitute "$command_line" "$i")
  ( echo "# $job_command"; echo "# started $(date)";
    bash -o pipefail -c "$job_command"; status=$?
    echo "# ended $(date) with status $status"; exit $status ) > "$log" 2>&1 &
  pids+=($!); logs+=("$log")
  while [ "$(jobs -rp | wc -l)" -ge "$max_jobs" ]; do wait -n; done
done

failed=0
for k in "${!pids[@]}"; do
  if ! wait "${pids[$k]}"; then
    failed=$((failed + 1))
    [ $failed -eq 1 ] && first_failed=${logs[$k]}
  fi
done
if [ $failed -gt 0 ]; then
  echo "$0: $failed of $((last - first + 1)) jobs failed; see $first_failed:" >&2
  tail -n 15 "$first_failed" >&2
  exit 1
fi
exit 0
