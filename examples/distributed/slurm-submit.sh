#!/bin/bash
# Submit the shards, then the merge to run only after every shard succeeded.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p runs
array=$(sbatch --parsable examples/distributed/slurm-array.sbatch)
sbatch --dependency="afterok:$array" examples/distributed/slurm-merge.sbatch "$array"
echo "shards: job $array; results in runs/$array/merged"
