"""The pipeline declared once: every profile's stages come after what they need, a read-only study computes
nothing and names the missing stage, and compute() computes exactly what is asked."""
import pytest

from elmo_lib.config import PROFILES, get_profile
from elmo_lib.pipeline.plan import NotComputedError, stages
from elmo_lib.registry import model_keys
from elmo_lib.study import Study


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_every_stage_comes_after_the_stages_it_needs_and_every_row_is_a_stage(name):
    profile = get_profile(name)
    seen = []
    for stage in stages(profile):
        assert set(stage.after) <= set(seen), (stage.name, stage.after, seen)
        seen.append(stage.name)
    assert set(model_keys(profile)) <= set(seen) and len(seen) == len(set(seen))
    assert ("ablations" in seen) == bool(profile.ablations and "ablations" in profile.extras)
    assert ("epoch_curve" in seen) == ("epoch_curve" in profile.extras) and ("seeds" in seen) == (profile.seeds > 1)


def test_a_read_only_study_names_the_missing_stage_and_writes_no_record(tiny_dir, tmp_path):
    overrides = {"data.data_dir": str(tiny_dir), "svd.windows": [2], "svd.dim": 4, "classifier.max_epochs": 1,
                 "elmo.modes": [], "elmo.concat_modes": [], "elmo.finetune_lr_scale": None, "static_methods": ["svd"],
                 "learning_curve": []}
    study = Study(get_profile("smoke", overrides), tmp_path)
    study.compute_missing = False
    with pytest.raises(NotComputedError, match=r"metrics.json of stage svd is not computed at profile smoke .*"
                                               r"elmo-lib report --profile smoke.*study.compute\('svd'\)"):
        study.result("svd")
    with pytest.raises(NotComputedError, match=r"the svd vectors is not computed.*study.compute\('svd_embeddings'\)"):
        study.static_embeddings("svd")
    assert not list(tmp_path.glob("svd*/**/*.json"))
    record = study.compute("svd")                      # the vectors it needs first, then the row
    assert record["model"] == "svd" and study.compute_missing is False
    assert study.result("svd")["test"] == record["test"]  # read back, read-only
    assert study.runs("svd") and not study.runs("bilm")
