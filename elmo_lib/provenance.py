"""Run provenance: the manifest of settings, data digests, package versions, device and git commit."""
from __future__ import annotations

import dataclasses
import importlib.metadata
import platform
import subprocess
from pathlib import Path

PACKAGES = ("torch", "numpy", "scipy", "pandas", "scikit-learn", "gensim", "matplotlib", "seaborn",
            "papermill", "nbconvert")


def git_commit() -> str | None:
    """Return the current git commit of the working tree, or None outside a git checkout."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True,
                             cwd=Path(__file__).resolve().parent)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def git_dirty() -> bool | None:
    """Return True when tracked files of the checkout differ from its commit (uncommitted changes), None outside
    a git checkout: a commit alone does not say what code ran."""
    try:
        out = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                             text=True, check=True, cwd=Path(__file__).resolve().parent)
        return bool(out.stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        return None


def cpu_model() -> str:
    """Return the CPU's model name (from /proc/cpuinfo where there is one), else the platform's processor name."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


# the instruction sets that decide which kernels torch, oneDNN and the BLAS pick, so which bytes and speed a run has
KERNEL_FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_bf16")


def cpu_kind(cpuinfo: str | None = None) -> str:
    """Return what tells two CPUs of one model name apart (two Intel Xeons both read "Intel(R) Xeon(R) Processor"):
    "family F model M" and which of KERNEL_FLAGS it has, e.g. "family 6 model 167; avx2 avx512f avx512_bf16
    amx_bf16", from `cpuinfo` (default: /proc/cpuinfo); "" where there is none."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return ""
    fields: dict[str, str] = {}
    for line in cpuinfo.splitlines():
        name, _, value = line.partition(":")
        fields.setdefault(name.strip(), value.strip())
    flags = set(fields.get("flags", "").split())
    where = f"family {fields['cpu family']} model {fields['model']}" if {"cpu family", "model"} <= set(fields) else ""
    return "; ".join(part for part in (where, " ".join(f for f in KERNEL_FLAGS if f in flags)) if part)


def manifest(study) -> dict:
    """Return the run manifest: profile and settings, data files with SHA-256, package versions, device, git commit."""
    import torch

    from elmo_lib.blas import blas_kernels
    from elmo_lib.threads import torch_follows_threads
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    device = f"CUDA: {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else f"CPU ({platform.machine()})"
    settings = dataclasses.asdict(study.profile)
    settings["data"].pop("data_dir")
    return {"profile": study.profile.name, "settings": settings,
            "data_files": {split: {"name": Path(f["path"]).name, "sha256": f["sha256"]}
                           for split, f in study.data_files.items()},
            "python": platform.python_version(), "packages": versions, "device": device,
            "cpu": cpu_model(), "blas_kernels": list(blas_kernels()), "torch_threads": torch.get_num_threads(),
            "torch_follows_threads": torch_follows_threads(),
            "git_commit": git_commit(), "git_dirty": git_dirty()}
