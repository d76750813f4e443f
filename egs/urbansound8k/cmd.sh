# How the recipe runs its parallel jobs. Every stage calls "$cmd JOB=1:N LOG COMMAND...".
# Local machine (default): all jobs here, at most one per core.
export cmd="utils/run_local.sh"
# A Slurm cluster: each call becomes one job array (sbatch --wait); uncomment and set the
# partition and memory for your site.
# export cmd="utils/run_slurm.sh --partition cpu --mem 4G --time 4:00:00"
# How train_once starts metricvox-train: here (empty), or on Slurm, one task per GPU on
# each node (utils/train_slurm.sh; an absolute path, as training may start in another directory).
export train_cmd=
# export train_cmd="$PWD/utils/train_slurm.sh --nodes 2 --gpus-per-node 4 --partition gpu --time 24:00:00"
