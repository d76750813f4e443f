# How the recipe runs its parallel jobs. Every stage calls "$cmd JOB=1:N LOG COMMAND...".
# Local machine (default): all jobs here, at most one per core.
export cmd="utils/run_local.sh"
# A Slurm cluster: each call becomes one job array (sbatch --wait); uncomment and set the
# partition and memory for your site. Training runs itself (torchrun/--device), not through $cmd.
# export cmd="utils/run_slurm.sh --partition cpu --mem 4G --time 4:00:00"
