"""This process's place under torchrun (rank, world size) and the collectives pretraining needs."""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass
class DistContext:
    """This process's place under torchrun: rank and world size (1 when run alone)."""

    rank: int = 0
    world_size: int = 1

    @property
    def is_main(self) -> bool:
        """Return True on the process that logs and writes files."""
        return self.rank == 0

    @classmethod
    def from_env(cls, device: torch.device) -> "DistContext":
        """Return the context torchrun set up (initialising the process group), or a single-process one."""
        world = int(os.environ.get("WORLD_SIZE", "1"))
        if world == 1:
            return cls()
        if not dist.is_initialized():
            dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
        return cls(dist.get_rank(), dist.get_world_size())

    def close(self) -> None:
        """Wait for every rank, then leave the process group (a rank that exits without this can abort in gloo)."""
        if self.world_size > 1 and dist.is_initialized():
            dist.barrier()
            dist.destroy_process_group()

    def gather(self, value: object) -> list:
        """Return `value` from every rank, in rank order (every rank must call this)."""
        if self.world_size == 1:
            return [value]
        values = [None] * self.world_size
        dist.all_gather_object(values, value)
        return values

    def all_sum(self, values: torch.Tensor) -> torch.Tensor:
        """Return `values` summed element-wise over all ranks (in place; on the device the backend serves)."""
        if self.world_size > 1:
            dist.all_reduce(values)
        return values
