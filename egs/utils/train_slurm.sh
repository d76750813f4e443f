#!/usr/bin/env bash
# Multi-node training on Slurm (cmd.sh: train_cmd="$PWD/utils/train_slurm.sh ..."; the
# recipes' train_once puts $train_cmd before metricvox-train):
#   utils/train_slurm.sh [--nodes N] [--gpus-per-node G] [--tasks-per-node T]
#                        [--cpus-per-task C] [--mem M] [--time T] [--partition P]
#                        [--port P] [--srun-opts "..."] COMMAND [ARGS...]
# starts COMMAND as N x T tasks with srun (one task per GPU: --gpus-per-node G makes T = G),
# each with the env:// rendezvous that torch.distributed reads, as torchrun would set it:
# RANK, WORLD_SIZE and LOCAL_RANK from SLURM_PROCID, SLURM_NTASKS and SLURM_LOCALID;
# MASTER_ADDR the first host of the step; MASTER_PORT --port, else one drawn from the job
# and step ids (so that two trainings on one node do not meet); and, as torchrun does, one
# thread per task unless --cpus-per-task (or OMP_NUM_THREADS) says otherwise. Outside an allocation srun
# asks for one; inside one (an sbatch script) the tasks are a step of it.
# srun and not torchrun on each node: Slurm itself then starts, signals and accounts for
# every training process (scancel or a time limit reaches each rank), and no second
# launcher restarts workers behind the recipe's back (resuming is train_once's job). One
# task that fails ends the others (--kill-on-bad-exit) instead of leaving them waiting in a
# collective; srun's exit status is then non-zero and the training is not marked done.
set -u
nodes=1; tasks_per_node=1; port=; srun_opts=()
while [ $# -gt 0 ]; do
  case $1 in
    --nodes) nodes=$2 ;;
    --gpus-per-node) [ "$2" = 0 ] || { tasks_per_node=$2; srun_opts+=(--gpus-per-node="$2"); } ;;
    --tasks-per-node) tasks_per_node=$2 ;;
    --cpus-per-task) srun_opts+=(--cpus-per-task="$2") ;;
    --mem) srun_opts+=(--mem="$2") ;;
    --time) srun_opts+=(--time="$2") ;;
    --partition) srun_opts+=(--partition="$2") ;;
    --port) port=$2 ;;
    --srun-opts) read -r -a extra <<< "$2"; srun_opts+=("${extra[@]}") ;;
    *) break ;;
  esac
  shift 2
done
if [ $# -lt 1 ]; then
  echo "usage: $0 [options] COMMAND [ARGS...]" >&2; exit 1
fi
if ! command -v srun >/dev/null 2>&1; then
  echo "$0: error: srun not found: this machine has no Slurm; set train_cmd= in cmd.sh" >&2
  exit 1
fi

exec srun --nodes="$nodes" --ntasks-per-node="$tasks_per_node" --kill-on-bad-exit=1 \
  --job-name="$(basename "$1")" "${srun_opts[@]}" bash -c '
    port=$1; shift
    export RANK=$SLURM_PROCID WORLD_SIZE=$SLURM_NTASKS LOCAL_RANK=$SLURM_LOCALID
    export OMP_NUM_THREADS=${OMP_NUM_THREADS:-${SLURM_CPUS_PER_TASK:-1}}
    MASTER_ADDR=$(scontrol show hostnames "$SLURM_STEP_NODELIST" | head -n 1) || exit 1
    export MASTER_ADDR MASTER_PORT=${port:-$((20000 + (SLURM_JOB_ID * 7 + SLURM_STEP_ID) % 20000))}
    exec "$@"' task "$port" "$@"
