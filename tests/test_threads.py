"""Same settings, same data, same machine: the same bytes in every artifact for 1 and for 2 threads."""
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from elmo_lib.threads import single_threaded
from elmo_lib.timing import TIMING_FILE

HERE = Path(__file__).resolve().parent


def _digests(root: Path) -> dict[str, str]:
    """Return {path under root: SHA-256} of every file but the timing files (wall-clock seconds, never results)."""
    return {str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(root.rglob("*")) if path.is_file() and path.name != TIMING_FILE}


def _run(threads: int, root: Path, data_dir: Path) -> dict:
    env = {**os.environ, **{name: str(threads) for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS",
                                                             "OPENBLAS_NUM_THREADS")}}
    env.pop("ELMO_ARTIFACTS", None)
    run = subprocess.run([sys.executable, str(HERE / "thread_run.py"), str(root), str(data_dir)], env=env,
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.integration
def test_every_smoke_artifact_is_the_same_at_one_and_two_threads(shared_dir, tmp_path):
    one, two = (_run(threads, tmp_path / f"threads{threads}", Path(shared_dir).resolve()) for threads in (1, 2))
    # the two processes really ran with 1 and 2 threads, and there a threaded BLAS rounds a long sum differently:
    # so equal artifacts below come from the pinned steps, not from a BLAS that happened not to thread
    assert (one["torch_threads"], one["blas_threads"]) == (1, [1])
    assert (two["torch_threads"], two["blas_threads"]) == (2, [2])
    assert one["unpinned_dot"] != two["unpinned_dot"]
    first, second = _digests(tmp_path / "threads1"), _digests(tmp_path / "threads2")
    assert len(first) > 40 and any(name.endswith("bilm.pt") for name in first)
    assert one["torch_follows_threads"] == two["torch_follows_threads"]
    if not one["torch_follows_threads"]:  # this machine's torch kernels do not round by thread count: every byte
        assert one["accuracies"] == two["accuracies"]
        assert first.keys() == second.keys()
        assert [name for name in first if first[name] != second[name]] == []
        return
    # where oneDNN's LSTM rounds by the thread count (an AVX2-only CPU): the numpy stages still have the same bytes,
    # and every torch stage is keyed by the thread count, so the two runs share no torch artifact
    pinned = ("data", "svd_embeddings", "skipgram_embeddings", "tfidf")
    for name, digest in first.items():
        if name.split("/")[0] in pinned:
            assert second.get(name) == digest, name
        else:
            assert name not in second, name
    assert one["accuracies"]["tfidf"] == two["accuracies"]["tfidf"]


def test_single_threaded_limits_every_pool_and_restores_it():
    seen = {}

    @single_threaded
    def inside() -> None:
        from threadpoolctl import threadpool_info
        seen["threads"] = {pool["num_threads"] for pool in threadpool_info()}
    with threadpool_limits(limits=2):
        inside()
        from threadpoolctl import threadpool_info
        after = {pool["num_threads"] for pool in threadpool_info()}
    assert seen["threads"] == {1} and after == {2}
    assert inside.__name__ == "inside"


def test_the_same_checkpoint_payload_gives_the_same_bytes(tmp_path):
    import torch

    from elmo_lib.checkpoint import save_checkpoint
    payload = {"signature": {"x": 1}, "state": {"w": torch.arange(6.0).reshape(2, 3)}}
    save_checkpoint(tmp_path / "a.pt", payload)
    save_checkpoint(tmp_path / "b.pt", payload)
    assert (tmp_path / "a.pt").read_bytes() == (tmp_path / "b.pt").read_bytes()
    assert np.array_equal(torch.load(tmp_path / "a.pt")["state"]["w"].numpy(), np.arange(6.0).reshape(2, 3))


def test_the_fixed_order_sum_and_clipping_give_the_same_bits_at_one_and_two_threads():
    import torch

    from elmo_lib.reduce import clip_grad_norm_fixed, fixed_order_sum
    x = torch.randn(1_000_003, generator=torch.Generator().manual_seed(0)) * 3
    results, before = {}, torch.get_num_threads()
    for threads in (1, 2):
        torch.set_num_threads(threads)
        weights = [torch.nn.Parameter(torch.zeros(300, 512)), torch.nn.Parameter(torch.zeros(4096))]
        weights[0].grad, weights[1].grad = x[:153600].view(300, 512).clone(), x[-4096:].clone()
        norm = clip_grad_norm_fixed(weights, 1.0)
        results[threads] = (x.sum(), fixed_order_sum(x), norm, weights[0].grad.clone())
    assert not torch.equal(results[1][0], results[2][0])   # the plain sum does round by the thread count here
    assert all(torch.equal(a, b) for a, b in zip(results[1][1:], results[2][1:]))
    assert torch.isclose(results[1][1], x.double().sum().float(), rtol=1e-5)
    torch.set_num_threads(before)
