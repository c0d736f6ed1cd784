"""The README's "Your own data" walk-through, run on a fixture: a CSV of events and a CSV of items
-> a comparison report -> a trained model store -> a served endpoint, with the shipped configs
(only the paths, the model size and the number of epochs are made small for the test)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tomli_w
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from hybrid_rec.cli import app
from hybrid_rec.config import tomllib
from hybrid_rec.data.synthetic import make_synthetic
from hybrid_rec.serve import create_app
from hybrid_rec.store import ModelStore
from tests.factory import tiny

ROOT = Path(__file__).resolve().parents[1]


def write_fixture(folder: Path) -> None:
    """events.csv and items.csv as an export from another system would look (text ids, 'A|B' genres)."""
    ds = make_synthetic(n_users=80, n_items=40, n_clusters=3, interactions_per_user=10, seed=5)
    events = ds.interactions.to_dataframe()[["user_id", "item_id", "timestamp"]]
    events["timestamp"] = events["timestamp"].astype(np.int64)
    events.to_csv(folder / "events.csv", index=False)
    items = ds.catalog.items.reset_index()
    items["genres"] = items["genres"].map("|".join)
    extra = pd.DataFrame({"item_id": ["never-used"], "title": ["Brand new"], "year": ["2024"], "genres": ["comedy"]})
    pd.concat([items, extra]).to_csv(folder / "items.csv", index=False)


def shipped(name: str, folder: Path, section: str | None) -> Path:
    """A shipped config with the fixture's paths and a tiny model."""
    cfg = tomllib.loads((ROOT / "configs" / name).read_text())
    cfg["dataset"].update(path=str(folder / "events.csv"), item_path=str(folder / "items.csv"))
    if section == "methods":
        cfg["methods"]["hybrid"] = tiny()
        cfg["methods"]["als"] = {"factors": [4, 8], "iterations": 5}
        cfg["evaluation"].update(bootstrap=50, cutoffs=[5, 10])  # a 41-item catalog: no cut-off of 50
    else:
        cfg["hybrid"] = tiny()
    out = folder / name
    out.write_text(tomli_w.dumps(cfg))
    return out


@pytest.mark.slow
def test_events_and_items_csv_to_report_model_and_endpoint(tmp_path):
    write_fixture(tmp_path)
    runner = CliRunner()
    compare_cfg = shipped("own-data-compare.toml", tmp_path, "methods")
    result = runner.invoke(app, ["--quiet", "compare", "--config", str(compare_cfg), "--out", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert set(report["methods"]) == {"popularity", "als", "hybrid"} and "hybrid_vs_als" in report["comparisons"]
    assert report["dataset"]["items"] == 41  # the catalog's never-used item is in the item map

    train_cfg = shipped("own-data-train.toml", tmp_path, None)
    result = runner.invoke(app, ["--quiet", "train", "--config", str(train_cfg), "--out", str(tmp_path / "model")])
    assert result.exit_code == 0, result.output
    assert "as version 1" in result.output and "fusion weights" in result.output
    assert ModelStore(tmp_path / "model").current().version == 1

    client = TestClient(create_app(tmp_path / "model"))
    recs = client.post("/recommend", json={"user_id": "u3", "k": 5}).json()
    assert len(recs["items"]) == 5 and all(i["item_text"] for i in recs["items"])
    new = client.post("/rerank", json={"user_id": "u3", "item_ids": ["never-used", "i1"]}).json()
    assert {i["item_id"] for i in new["items"]} == {"never-used", "i1"}  # the catalog's new item is scorable
    assert next(i for i in new["items"] if i["item_id"] == "never-used")["item_text"] == "Brand new (2024); comedy"
