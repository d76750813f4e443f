#!/usr/bin/env bash
# The Slurm job runner, with run_local.sh's interface (cmd.sh: cmd="utils/run_slurm.sh ..."):
#   utils/run_slurm.sh [--max-jobs N] [--mem 4G] [--num-threads N] [--gpu N] [--time T]
#                      [--partition P] [--sbatch-opts "..."] [JOB=1:N] LOG COMMAND [ARGS...]
# submits the jobs as one Slurm array (sbatch --wait, at most N running at once), each
# job's output in its log as run_local.sh writes it, and waits for all of them; if any
# failed, the tail of the first failed log is shown and the runner exits 1; an array that
# Slurm refuses (or cannot be reached for) is one error line. The array's own files (job
# script, commands, sbatch's and Slurm's output) are kept in LOG's directory under q/.
set -u
max_jobs=; sbatch_opts=()
while [ $# -gt 0 ]; do
  case $1 in
    --max-jobs) max_jobs=$2 ;;
    --mem) sbatch_opts+=(--mem="$2") ;;
    --num-threads) sbatch_opts+=(--cpus-per-task="$2") ;;
    --gpu) [ "$2" = 0 ] || sbatch_opts+=(--gres=gpu:"$2") ;;
    --time) sbatch_opts+=(--time="$2") ;;
    --partition) sbatch_opts+=(--partition="$2") ;;
    --sbatch-opts) read -r -a extra <<< "$2"; sbatch_opts+=("${extra[@]}") ;;
    *) break ;;
  esac
  shift 2
done
. "$(dirname "$0")/job_array.sh"
if ! command -v sbatch >/dev/null 2>&1; then
  echo "$0: sbatch not found: this machine has no Slurm; use utils/run_local.sh in cmd.sh" >&2
  exit 1
fi

first_log=$(job_log "$first")
qdir=$(dirname "$first_log")/q
mkdir -p "$qdir"
qdir=$(cd "$qdir" && pwd)
name=$(basename "$first_log" .log)
logs=()
for ((i = first; i <= last; i++)); do
  log=$(job_log "$i")
  mkdir -p "$(dirname "$log")"
  logs+=("$log")
  # Absolute log paths: the job may start in another directory.
  printf '%s\n' "$(cd "$(dirname "$log")" && pwd)/$(basename "$log")" > "$qdir/$name.log.$i"
  job_command "$i" > "$qdir/$name.cmd.$i"
  rm -f "$log" "$qdir/$name.$i.out"
done
cat > "$qdir/$name.sh" <<SCRIPT
#!/usr/bin/env bash
cd "$PWD"
i=\$SLURM_ARRAY_TASK_ID
# The job's threads (torch, OpenMP, BLAS): the CPUs Slurm gave it, unless the caller said.
export OMP_NUM_THREADS=\${OMP_NUM_THREADS:-\${SLURM_CPUS_PER_TASK:-1}}
log=\$(cat "$qdir/$name.log.\$i")
{ echo "# \$(cat "$qdir/$name.cmd.\$i")"; echo "# started \$(date) on \$(hostname)"; } > "\$log"
bash -o pipefail -c "\$(cat "$qdir/$name.cmd.\$i")" >> "\$log" 2>&1; status=\$?
echo "# ended \$(date) with status \$status" >> "\$log"
exit \$status
SCRIPT
array=$first-$last${max_jobs:+%$max_jobs}
# sbatch prints the array's id when Slurm has accepted it, then waits for its end. In the
# background, so that the runner killed (by the user, or a job of its own cancelled) first
# cancels the array rather than leave it running after it.
sbatch --wait --parsable --job-name="$name" --array="$array" --output="$qdir/$name.%a.out" \
  "${sbatch_opts[@]}" "$qdir/$name.sh" > "$qdir/$name.sbatch" 2> "$qdir/$name.sbatch.err" &
sbatch_pid=$!
array_id() { head -n 1 "$qdir/$name.sbatch" | cut -d ';' -f 1; }
cancel_array() { local id; id=$(array_id); [ -z "$id" ] || scancel "$id"; kill $sbatch_pid 2>/dev/null; }
trap 'cancel_array; exit 130' INT
trap 'cancel_array; exit 143' TERM
wait $sbatch_pid
if [ -z "$(array_id)" ]; then
  reason=$(grep -v '^[[:space:]]*$' "$qdir/$name.sbatch.err" | tail -n 1)
  echo "$0: error: Slurm did not take the job array $name (logs $log_template): ${reason#sbatch: error: }" >&2
  exit 1
fi
# What Slurm said about a job that did not finish (cancelled, out of time or memory) goes
# at the end of its log, where the failure report shows it.
for ((i = first; i <= last; i++)); do
  log=$(job_log "$i")
  if ! grep -q '^# ended ' "$log" 2>/dev/null && [ -s "$qdir/$name.$i.out" ]; then
    sed 's/^/# slurm: /' "$qdir/$name.$i.out" >> "$log"
  fi
done
report_failures "${logs[@]}"
exit 0
