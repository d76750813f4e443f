"""Multi-process training under torchrun (DDP): gloo on CPU, nccl on CUDA.

torchrun sets WORLD_SIZE, RANK and LOCAL_RANK; without them training runs in one
process and everything here is a pass-through. The batch size of the config is
GLOBAL: every global batch of N classes x M is split by classes, each of the W
processes taking N / W whole classes (so group losses still see M utterances per
class; N must be a multiple of W). A loss is computed on each process's share and
DDP averages the gradients, so pair and group losses compare examples within a
share only. Only rank 0 writes checkpoints and logs and validates; it tells the
others when to stop early. The process group is destroyed at the end, also on
error, so that no process hangs at exit.
"""

import contextlib
import os

import torch
import torch.distributed as dist

from metricvox.errors import InputError


class ProcessGroup:
    """This process's place among the training processes (one process: rank 0 of 1)."""

    def __init__(self):
        self.world_size = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        self.is_main = self.rank == 0
        self.active = self.world_size > 1

    def device(self, device):
        """The device of this process: cuda:LOCAL_RANK when training on CUDA under torchrun."""
        if self.active and device.type == "cuda":
            return torch.device("cuda", self.local_rank)
        return device

    @contextlib.contextmanager
    def running(self, device):
        """The process group, open for the block when under torchrun."""
        if not self.active:
            yield self
            return
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
        try:
            yield self
        finally:
            dist.destroy_process_group()

    def wrap(self, module, device):
        if not self.active:
            return module
        ids = [device.index] if device.type == "cuda" else None
        return torch.nn.parallel.DistributedDataParallel(module, device_ids=ids)

    def barrier(self):
        if self.active:
            dist.barrier()

    def sum(self, values):
        """``values`` (floats) summed over the processes."""
        if not self.active:
            return list(values)
        tensor = torch.tensor(values, dtype=torch.float64)
        dist.all_reduce(tensor)
        return tensor.tolist()

    def from_main(self, value):
        """Rank 0's ``value`` (a bool) on every process."""
        if not self.active:
            return value
        tensor = torch.tensor([int(bool(value))])
        dist.broadcast(tensor, src=0)
        return bool(tensor.item())


class ShareOfBatches:
    """This process's share of each global batch: an equal number of whole groups.

    A group is ``sampler.group_size`` consecutive items that must stay together: the M
    utterances of one class of a PK batch, or a single pair or triplet.
    """

    def __init__(self, sampler, group):
        self.sampler = sampler
        self.group = group
        groups = sampler.batch_size // sampler.group_size
        if groups % group.world_size:
            unit = "classes_per_batch" if hasattr(sampler, "classes_per_batch") else "batch_size"
            raise InputError(f"sampler.{unit} ({groups}) must be a multiple of the number of "
                             f"training processes ({group.world_size}): the batch size is "
                             f"global and split between them")
        self.size = sampler.batch_size // group.world_size

    def set_epoch(self, epoch):
        self.sampler.set_epoch(epoch)

    def __iter__(self):
        start = self.group.rank * self.size
        for batch in self.sampler:
            yield batch[start:start + self.size]

    def __len__(self):
        return len(self.sampler)
