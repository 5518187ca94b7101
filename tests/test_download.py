import pytest

from elmo_lib.data import DataError
from elmo_lib.download import download_ag_news


def test_wrong_md5_is_discarded(tmp_path):
    source = tmp_path / "mirror"
    source.mkdir()
    (source / "train.csv").write_text('"1","t","d"\n')
    with pytest.raises(DataError, match="differs from the canonical b1a00f826fdfbd249f79597b59e1dc12"):
        download_ag_news(tmp_path / "data", base_url=source.as_uri())
    assert list((tmp_path / "data").iterdir()) == []  # nothing half-written left behind


def test_offline_says_what_to_do(tmp_path):
    with pytest.raises(DataError, match="Are you offline.*AG_NEWS_DIR"):
        download_ag_news(tmp_path / "data", base_url=(tmp_path / "nowhere").as_uri())
