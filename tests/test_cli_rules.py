"""The CLI-wide rule: a user error is one line on stderr and exit 2, found before long work starts."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from hybrid_rec.cli import app
from hybrid_rec.errors import ConfigError
from hybrid_rec.evaluate.compare import CompareConfig
from hybrid_rec.rerank.model import LMConfig
from tests.factory import train_toml

runner = CliRunner()

TRAIN = train_toml({"name": "synthetic", "synthetic": {"n_users": 50, "n_items": 30, "interactions_per_user": 8}})


@pytest.mark.parametrize("existing", ["file", "foreign-dir"])
def test_train_out_that_cannot_be_a_store_is_refused_before_training(tmp_path, existing):
    cfg = tmp_path / "train.toml"
    cfg.write_text(TRAIN)
    out = tmp_path / "out"
    if existing == "file":
        out.write_text("not a store")
    else:
        out.mkdir()
        (out / "notes.txt").write_text("mine")
    result = runner.invoke(app, ["train", "--config", str(cfg), "--out", str(out)])
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1, result.output
    assert "choose a new --out" in result.output or "is a file" in result.output
    assert "reranker" not in result.output and not (out / "versions").exists()  # no training happened


def test_heads_must_divide_the_width():
    with pytest.raises(ValueError, match="n_head"):
        LMConfig(n_head=3, n_embd=128)
    LMConfig(n_head=4, n_embd=128)


def test_absurd_bootstrap_sizes_fail_at_config_load():
    with pytest.raises((ValueError, ConfigError), match="bootstrap"):
        CompareConfig.from_dict({"evaluation": {"bootstrap": 10**23}})


@pytest.mark.parametrize("current", ["", "1e3", "../../etc", "v1", "１"])
def test_a_current_pointer_that_names_no_version_is_a_one_line_error(tiny_models, tmp_path, current):
    store = tiny_models().publish(tmp_path / "store")
    (store.root / "CURRENT").write_text(current)
    result = runner.invoke(app, ["recommend", "--model", str(store.root), "--user", "u1"])
    assert result.exit_code == 2 and "not a version number" in result.output, result.output


def test_a_dataset_path_that_is_a_directory_is_a_one_line_error(tmp_path):
    from hybrid_rec.data.interactions import Interactions
    from hybrid_rec.errors import DataError

    with pytest.raises(DataError, match="is a directory"):
        Interactions.from_file(tmp_path)
