"""Run the smoke study's stages into an artifacts folder and print, as JSON, what ran: every row's accuracies, the
thread counts the libraries used, and a control sum that a threaded BLAS rounds by its thread count.

    python tests/thread_run.py ARTIFACTS DATA_DIR        (the thread count comes from OMP_NUM_THREADS)
"""
import json
import sys

import elmo_lib  # noqa: F401  before numpy: it pins OpenBLAS's kernels (elmo_lib.blas)
import numpy as np
import threadpoolctl
import torch

from elmo_lib.config import get_profile
from elmo_lib.study import Study


def main(root: str, data_dir: str) -> None:
    study = Study(get_profile("smoke", {"data.data_dir": data_dir}), root)
    accuracies = {key: [study.result(key)[split]["accuracy"] for split in ("validation", "test")]
                  for key in study.model_keys()}
    study.probes()
    study.epoch_curve()
    x = np.random.default_rng(0).standard_normal((2, 2_000_000))
    from elmo_lib.threads import torch_follows_threads
    print(json.dumps({"accuracies": accuracies, "torch_threads": torch.get_num_threads(),
                      "torch_follows_threads": torch_follows_threads(),
                      "blas_threads": sorted({pool["num_threads"] for pool in threadpoolctl.threadpool_info()
                                              if pool["user_api"] == "blas"}),
                      "unpinned_dot": float(x[0] @ x[1])}))


if __name__ == "__main__":
    main(*sys.argv[1:3])
