# How the recipe runs its parallel jobs. Every stage calls "$cmd JOB=1:N LOG COMMAND...".
# Local machine (default): all jobs here, at most one per core.
export cmd="utils/run_local.sh"
