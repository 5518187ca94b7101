"""numpy's BLAS kernels pinned: a process started plainly computes the bytes of one started with the AVX2-only
machine's kernels (OPENBLAS_CORETYPE=Haswell), and a process whose kernels are other anyway caches apart."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from elmo_lib import blas
from elmo_lib.config import get_profile
from elmo_lib.plugins import row_settings
from elmo_lib.study import Study

AVX2_CPU = "processor\t: 0\nflags\t\t: fpu sse2 avx fma avx2 bmi2\n"
# a float32 matrix product whose last bits follow OpenBLAS's kernels (SkylakeX and Haswell's differ on AVX-512 CPUs)
PRODUCT = ("import hashlib, json, sys; {first}; import numpy as np; from elmo_lib.blas import blas_kernels; "
           "r = np.random.default_rng(0); a, b = (r.standard_normal((300, 300)).astype(np.float32) for _ in 'ab'); "
           "print(json.dumps({{'kernels': blas_kernels(), 'sha': hashlib.sha256((a @ b).tobytes()).hexdigest()}}))")


def _product(first_import: str, **env) -> dict:
    environ = {k: v for k, v in os.environ.items() if k != blas.CORE_VARIABLE}
    run = subprocess.run([sys.executable, "-c", PRODUCT.format(first=first_import)], env={**environ, **env},
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_the_pinned_core_needs_x86_64_with_avx2_and_fma(monkeypatch):
    monkeypatch.setattr(blas.platform, "machine", lambda: "x86_64")
    assert blas.can_run_pinned_core(AVX2_CPU)
    assert not blas.can_run_pinned_core(AVX2_CPU.replace(" avx2", ""))
    assert not blas.can_run_pinned_core(AVX2_CPU.replace(" fma", ""))
    monkeypatch.setattr(blas.platform, "machine", lambda: "aarch64")
    assert not blas.can_run_pinned_core(AVX2_CPU)


def test_pinning_sets_the_core_only_where_nobody_did(monkeypatch):
    monkeypatch.setattr(blas, "can_run_pinned_core", lambda cpuinfo=None: True)
    environ = {}
    assert blas.pin_openblas_kernels(environ) and environ == {blas.CORE_VARIABLE: "Haswell"}
    chosen = {blas.CORE_VARIABLE: "SkylakeX"}
    assert not blas.pin_openblas_kernels(chosen) and chosen == {blas.CORE_VARIABLE: "SkylakeX"}
    monkeypatch.setattr(blas, "can_run_pinned_core", lambda cpuinfo=None: False)
    unable = {}
    assert not blas.pin_openblas_kernels(unable) and unable == {}


@pytest.mark.skipif(not blas.can_run_pinned_core(), reason="this CPU cannot run OpenBLAS's Haswell kernels")
def test_a_plain_process_computes_what_the_avx2_kernels_compute():
    plain = _product("import elmo_lib")
    avx2 = _product("import elmo_lib", OPENBLAS_CORETYPE="Haswell")
    assert plain["kernels"] == avx2["kernels"] == ["openblas:Haswell"]
    assert plain["sha"] == avx2["sha"]


@pytest.mark.skipif(not blas.can_run_pinned_core(), reason="this CPU cannot run OpenBLAS's Haswell kernels")
def test_where_openblas_picks_other_kernels_they_round_otherwise_so_the_pin_is_needed():
    # numpy imported before elmo_lib: OpenBLAS has loaded its own choice, which the pin cannot change
    unpinned = _product("import numpy")
    if unpinned["kernels"] == ["openblas:Haswell"]:
        pytest.skip("this CPU's own OpenBLAS kernels are the Haswell ones (an AVX2-only CPU): nothing differs")
    pinned = _product("import elmo_lib")
    assert pinned["kernels"] == ["openblas:Haswell"]
    assert unpinned["sha"] != pinned["sha"]


def test_stages_computed_by_other_kernels_are_cached_apart(monkeypatch, tiny_dir):
    study = Study(get_profile("smoke", {"data.data_dir": str(tiny_dir)}), tiny_dir / "artifacts")
    monkeypatch.setattr(blas, "blas_kernels", lambda: ("openblas:Haswell",))
    pinned = {"bilm": study.stage_dir("bilm"), "vectors": study._vectors_path("svd"),
              "tfidf": study._static_record_path("tfidf")}
    # where numpy runs the pinned kernels, a torch stage keeps its key; the stages numpy computes name the kernels,
    # so their caches from before the pin (keyed by their settings alone) are not read
    assert pinned["vectors"].parents[1] != study.stage_dir("svd_embeddings", row_settings(study.profile, "svd"))
    assert pinned["tfidf"].parent != study.stage_dir("tfidf", row_settings(study.profile, "tfidf"))
    monkeypatch.setattr(blas, "blas_kernels", lambda: ("openblas:SkylakeX",))
    for name, path in {"bilm": study.stage_dir("bilm"), "vectors": study._vectors_path("svd"),
                       "tfidf": study._static_record_path("tfidf")}.items():
        assert path != pinned[name], name


def test_the_warning_names_the_kernels_and_the_fix(monkeypatch):
    monkeypatch.setattr(blas, "blas_kernels", lambda: ("openblas:SkylakeX",))
    monkeypatch.setattr(blas, "can_run_pinned_core", lambda cpuinfo=None: True)
    monkeypatch.setenv(blas.CORE_VARIABLE, "Haswell")  # set, but numpy had loaded before
    assert blas.blas_key() == {"blas_kernels": ["openblas:SkylakeX"]}
    warning = blas.unpinned_warning()
    assert "openblas:SkylakeX" in warning and "import elmo_lib first" in warning
    monkeypatch.setenv(blas.CORE_VARIABLE, "SkylakeX")
    assert "OPENBLAS_CORETYPE is set to 'SkylakeX': unset it" in blas.unpinned_warning()
    monkeypatch.setattr(blas, "can_run_pinned_core", lambda cpuinfo=None: False)
    assert "AVX2 and FMA" in blas.unpinned_warning()
    monkeypatch.setattr(blas, "blas_kernels", lambda: ("mkl:unknown",))
    assert "another BLAS" in blas.unpinned_warning()
    monkeypatch.setattr(blas, "blas_kernels", lambda: ("openblas:Haswell",))
    assert blas.blas_key() == {} and blas.unpinned_warning() is None


def test_records_name_the_kernels_that_ran():
    from elmo_lib.evidence import machine
    assert machine()["blas_kernels"] == list(blas.blas_kernels()) and blas.blas_kernels()


def test_every_benchmark_imports_elmo_lib_before_numpy_loads():
    heavy = re.compile(r"^(?:import|from) (numpy|scipy|sklearn|gensim|pandas|torch|elmo_lib)\b", re.M)
    for script in sorted((Path(__file__).resolve().parents[1] / "benchmarks").glob("*.py")):
        first = heavy.search(script.read_text(encoding="utf-8"))
        assert first is None or first.group(1) == "elmo_lib", f"{script.name} imports {first.group(1)} before elmo_lib"
