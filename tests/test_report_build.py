"""The smoke report end to end: papermill, nbconvert, Chromium PDF; browser and PDF checks; determinism; failures."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from elmo_lib.config import get_profile
from elmo_lib.pipeline.plan import stages
from elmo_lib.registry import label, model_keys
from elmo_lib.report_build import find_browser, metrics_document
from elmo_lib.study import Study

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "report" / "test-screenshots"


def _need(tool: str | None, name: str) -> str:
    if tool:
        return tool
    if os.environ.get("CI"):
        pytest.fail(f"{name} is required in CI (.ci/run installs it)")
    pytest.skip(f"{name} not installed")


@pytest.fixture(scope="module")
def smoke_report(shared_dir, tmp_path_factory):
    """Build the smoke report once (into a temporary folder) and return that folder; as a newcomer would, from a
    subfolder of the checkout with relative paths (the notebooks' folder left to its default)."""
    _need(find_browser(), "chromium")
    out, cwd = tmp_path_factory.mktemp("report"), ROOT / "tests"
    # what a failed run and a killed one leave in the report folder: a good build removes both
    (out / "failed-02_elmo_pretrain.ipynb").write_text("{}")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (out / f".build-{dead.pid}-k1ll3d").mkdir()
    env = {**os.environ, "AG_NEWS_DIR": os.path.relpath(Path(shared_dir).resolve(), cwd)}
    env.pop("ELMO_ARTIFACTS", None)
    run = subprocess.run([sys.executable, "-m", "elmo_lib", "report", "--profile", "smoke",
                          "--out", os.path.relpath(out, cwd), "--artifacts", os.path.relpath(ROOT / "artifacts", cwd)],
                         capture_output=True, text=True, timeout=900, cwd=cwd, env=env)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return out


PROBE = """
<pre id="elmo-probe"></pre>
<script>
window.addEventListener('load', () => {
  const images = Array.from(document.images).map(img => ({src: img.src.slice(0, 40), ok: img.complete && img.naturalWidth > 0}));
  const headings = Array.from(document.querySelectorAll('h1, h2, h3')).map(h => h.textContent.trim());
  const outputs = Array.from(document.querySelectorAll('.jp-OutputArea-output')).map(o => o.textContent);
  // the first h2 and what follows it up to the next h2: is the headline figure there?
  const all = Array.from(document.querySelectorAll('h2, img'));
  const first = all.findIndex(e => e.tagName === 'H2');
  const next = all.findIndex((e, i) => i > first && e.tagName === 'H2');
  const answerImages = all.slice(first + 1, next < 0 ? undefined : next).filter(e => e.tagName === 'IMG').length;
  // every table's first header row: an unnamed integer index shows as an empty corner over 0, 1, 2 ...
  const indexes = Array.from(document.querySelectorAll('table')).map(t =>
    Array.from(t.querySelectorAll('tbody tr')).slice(0, 3).map(r => (r.querySelector('th') || {}).textContent || ''));
  const uncaptioned = Array.from(document.querySelectorAll('.jp-OutputArea-output img')).filter(img => {
    const child = img.closest('.jp-OutputArea-child');
    const after = child && child.nextElementSibling;
    return !(after && after.querySelector('p.caption'));
  }).length;
  document.getElementById('elmo-probe').textContent = JSON.stringify({images, headings, outputs, answerImages,
                                                                       indexes, uncaptioned});
});
</script>
"""


@pytest.mark.slow
def test_index_html_in_headless_chromium(smoke_report, tmp_path):
    browser = _need(find_browser(), "chromium")
    page = tmp_path / "index.html"
    page.write_text((smoke_report / "index.html").read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"),
                    encoding="utf-8")
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--disable-background-networking", "--disable-component-update", "--no-first-run",
             f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=10000"]
    dom = subprocess.run(flags + ["--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120).stdout
    probe = json.loads(dom.split('<pre id="elmo-probe">')[1].split("</pre>")[0].replace("&quot;", '"').replace("&amp;", "&"))
    # the models' train/test heatmaps, the pretraining curves, perplexity vs probe, learning curve, words in context
    assert len(probe["images"]) >= 9, probe["images"]
    assert all(image["ok"] for image in probe["images"]), [i for i in probe["images"] if not i["ok"]]
    for key in model_keys(get_profile("smoke")):
        assert any(h.startswith(label(key)) and key in h for h in probe["headings"]), f"no section for {key}"
    h2 = [h.rstrip("¶") for h in probe["headings"] if h.rstrip("¶") in ("The answer", "Findings", "Comparison")]
    assert h2[0] == "The answer" and probe["answerImages"] >= 1, "the answer comes first, with the headline figure"
    for debris in ("epoch 1: loss", "device: CPU", "NaN", "biLM: reusing", "Warning"):
        assert not [o for o in probe["outputs"] if debris in o], f"{debris!r} in a rendered output"
    assert not [i for i in probe["indexes"] if i[:3] == ["0", "1", "2"]], "a table with an unnamed integer index"
    assert probe["uncaptioned"] == 0, "a figure without its caption"
    for heading in ("The answer", "Findings", "Comparison", "Are the differences real?",
                    "Replicates of the whole pipeline", "Classifier seeds", "Learning curve",
                    "Layer weights", "What each layer knows", "Ablations", "Perplexity against what the layers know",
                    "Error analysis", "Words in context", "Using a trained model on new text", "Reproducibility"):
        assert any(h.startswith(heading) for h in probe["headings"]), heading
    SHOTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(flags + ["--window-size=1280,2400", f"--screenshot={SHOTS / 'index.png'}",
                            (smoke_report / "index.html").as_uri()], capture_output=True, timeout=120, check=True)
    assert (SHOTS / "index.png").stat().st_size > 10_000


def test_a_good_report_leaves_no_failed_copy_or_dead_staging_folder(smoke_report):
    assert not list(smoke_report.glob("failed-*.ipynb")) and not list(smoke_report.glob(".build-*"))


@pytest.mark.slow
def test_the_pdf_has_a_title_a_bounded_length_and_the_headline_figure_up_front(smoke_report):
    pdf = smoke_report / "report.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True, timeout=60).stdout
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    assert fields["Title"].strip() == "Contextual versus static embeddings for AG News topic classification"
    pages = int(fields["Pages"])
    assert 5 <= pages <= 40, pages
    listed = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True,
                            timeout=60).stdout.splitlines()[2:]
    first_image_page = min(int(line.split()[0]) for line in listed)
    assert first_image_page <= 2, f"the headline figure is on page {first_image_page}"


@pytest.mark.slow
def test_pdf_pages_are_not_blank(smoke_report, tmp_path):
    pdftoppm = _need(shutil.which("pdftoppm"), "pdftoppm (poppler-utils)")
    from PIL import Image
    subprocess.run([pdftoppm, "-r", "40", "-png", str(smoke_report / "report.pdf"), str(tmp_path / "page")],
                   check=True, timeout=120)
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) >= 3
    for page in pages:
        ink = (np.asarray(Image.open(page).convert("L"), dtype=np.float32) < 200).mean()
        # the last page may hold only the tail of the run manifest (a closing brace), but never nothing
        assert ink > (0.002 if page != pages[-1] else 0.0), f"{page.name} is blank"


@pytest.mark.slow
def test_metrics_json_is_the_studys_records(smoke_report, shared_dir):
    saved = json.loads((smoke_report / "metrics.json").read_text())
    assert set(saved["models"]) == set(model_keys(get_profile("smoke")))
    for record in saved["models"].values():
        assert {"accuracy", "per_class", "macro avg", "weighted avg", "confusion_matrix"} <= set(record["test"])
        assert set(record) == {"train", "test"}
    assert saved["manifest"]["profile"] == "smoke" and len(saved["manifest"]["data_files"]["train"]["sha256"]) == 64
    # the report's file is the study's records, read back from the artifacts the notebooks wrote (a fresh run at
    # another thread count gives the same bytes: tests/test_threads.py)
    again = metrics_document(Study(get_profile("smoke", {"data.data_dir": str(Path(shared_dir).resolve())}),
                                   ROOT / "artifacts"))
    assert json.dumps(again, sort_keys=True) == json.dumps(saved, sort_keys=True)


@pytest.mark.slow
def test_results_json_carries_every_number_the_report_quotes(smoke_report):
    saved = json.loads((smoke_report / "results.json").read_text())
    profile = get_profile("smoke")
    assert saved["schema"] == 2 and saved["profile"] == "smoke" and set(saved["rows"]) == set(model_keys(profile))
    for key, row in saved["rows"].items():
        assert len(row["test_accuracy"]) == len(row["validation_accuracy"]) == profile.replicates
        low, high = row["test_interval"]
        assert low <= row["test_mean"] <= high
    assert saved["rows"]["elmo_trainable_scratch"]["bilm_start"] == "random"
    assert saved["rows"]["elmo_trainable"]["label"] == "ELMo, trainable λ (biLM from skip-gram start)"
    assert {"svd_window", "skipgram_window", "tfidf_C"} <= set(saved["chosen"][0])
    assert saved["planned_comparisons"] and all("p_holm" in e for e in saved["planned_comparisons"])
    assert len(saved["perplexities"]["bilm"][0]) == profile.pretrain.epochs
    assert saved["machine"]["cpu"] and saved["machine"]["torch_threads"] >= 1 and len(saved["git_commit"]) == 40
    assert set(saved["stage_seconds"]) == {stage.name for stage in stages(profile)}


def test_the_notebook_plan_follows_the_registry():
    from elmo_lib.report_build import notebook_plan
    one = get_profile("smoke", {"elmo.modes": ["trainable"], "elmo.concat_modes": []})
    assert [extra["model"] for _, stem, extra in notebook_plan(one) if stem == "03_model"] == [
        "tfidf", "svd", "skipgram", "elmo_trainable", "elmo_trainable_scratch", "elmo_finetuned"]
    static_only = get_profile("smoke", {"elmo.modes": [], "elmo.concat_modes": [], "elmo.finetune_lr_scale": None})
    assert "02_elmo_pretrain" not in [name for name, _, _ in notebook_plan(static_only)]
    fine_tuned_only = get_profile("smoke", {"elmo.modes": [], "elmo.concat_modes": [], "static_methods": []})
    assert [name for name, _, _ in notebook_plan(fine_tuned_only)][1:3] == ["02_elmo_pretrain", "03_model_elmo_finetuned"]
    assert "elmo_finetuned" not in model_keys(get_profile("cpu"))
