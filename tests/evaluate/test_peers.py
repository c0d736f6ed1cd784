"""Peers that run in their own environment: the adapter exports the fit rows, runs the peer's script
with the peer's Python, and the harness scores the lists it writes with the shared metric code."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from hybrid_rec.data import make_synthetic
from hybrid_rec.data.splits import leave_last_out
from hybrid_rec.errors import MissingExtraError
from hybrid_rec.evaluate.compare import CompareConfig, run_compare
from hybrid_rec.evaluate.peers import EASEConfig, RecToolsPeer, SASRecConfig, rectools_python
from hybrid_rec.metrics import ranking_metrics
from tests.evaluate.fake_peer import write_fake_python
from tests.evaluate.test_compare import SMALL


@pytest.fixture()
def fake_python(tmp_path: Path) -> Path:
    return write_fake_python(tmp_path / "fake-python")


def test_the_adapter_serves_the_written_lists_without_excluded_items(fake_python):
    ds = make_synthetic(n_users=30, n_items=25, n_clusters=2, interactions_per_user=6, seed=1)
    split = leave_last_out(ds.interactions)
    peer = RecToolsPeer(EASEConfig(python=str(fake_python), k=10, regularization=50.0)).fit(split.train)
    assert peer.learned()["library"] == "fake 1.0" and peer.learned()["params"] == {"regularization": 50.0}
    users = np.array([0, 1, 2])
    exclude = split.train_valid.to_csr()[users]
    top = peer.recommend(users, 5, exclude)
    train, known = split.train.to_csr(), np.unique(split.train.item)  # the fake ranks the fit's items by id
    for r, u in enumerate(users):
        expected = [i for i in known if not train[u, i] and not exclude[r, i]][:5]
        assert top.items[r].tolist() == expected[: len(expected)] + [-1] * (5 - len(expected))


def test_compare_scores_a_peers_file_with_the_shared_metrics(fake_python, tmp_path):
    cfg = {**SMALL, "evaluation": {"bootstrap": 200}, "methods": {"sasrec": {"python": str(fake_python), "epochs": [1, 2]}}}
    report = run_compare(CompareConfig.from_dict(cfg), tmp_path, progress=False)
    entry = report["methods"]["sasrec"]
    assert entry["learned"]["library"] == "fake 1.0" and entry["grid_size"] == 2
    ds = make_synthetic(**SMALL["dataset"]["synthetic"])
    split = leave_last_out(ds.interactions)
    users = np.unique(split.test.user)
    seen, known = split.train_valid.to_csr(), np.unique(split.train_valid.item)
    top = np.array([[i for i in known if not seen[u, i]][:50] for u in users])
    expected = float(np.nanmean(ranking_metrics(top, split.test.to_csr("binary")[users], [10])["ndcg@10"]))
    assert entry["test"]["ndcg@10"] == pytest.approx(expected)


def test_a_failing_peer_names_its_error(tmp_path):
    broken = tmp_path / "broken"
    broken.write_text("#!/bin/sh\necho 'ModuleNotFoundError: No module named rectools' >&2\nexit 1\n")
    broken.chmod(0o755)
    ds = make_synthetic(n_users=20, n_items=15, n_clusters=2, interactions_per_user=5, seed=1)
    with pytest.raises(MissingExtraError, match="No module named rectools"):
        RecToolsPeer(SASRecConfig(python=str(broken))).fit(ds.interactions)


@pytest.mark.network
def test_rectools_peers_in_their_own_environment(tmp_path):
    """The real thing: RecTools 0.19 in its venv (built under the cache when missing: needs the
    package registry), EASE and SASRec on a tiny split, scored by the harness."""
    root = Path(os.environ.get("HYBRID_REC_PEERS_CACHE", Path.home() / ".cache" / "hybrid_rec" / "peers"))
    try:
        python = rectools_python(root)
    except MissingExtraError as exc:
        pytest.skip(f"RecTools' environment cannot be built here: {exc}")
    cfg = {**SMALL, "evaluation": {"bootstrap": 200}, "methods": {"popularity": {}, "ease": {"python": str(python), "regularization": [50.0, 500.0]},
                                "sasrec": {"python": str(python), "epochs": 3, "patience": 1, "val_users": 10, "n_factors": 16},
                                "rectools_als": {"python": str(python), "factors": 8}}}  # fmt: skip
    report = run_compare(CompareConfig.from_dict(cfg), tmp_path, progress=False)
    stopped = report["methods"]["sasrec"]["learned"]  # early stopping: the best epoch's weights restored
    assert 1 <= stopped["best_epoch"] <= stopped["epochs_run"] <= 3 and stopped["best_val_loss"] > 0
    for name in ("ease", "sasrec", "rectools_als"):
        entry = report["methods"][name]
        assert entry["learned"]["library"] == "rectools 0.19.0" and 0 < entry["test"]["ndcg@10"] <= 1
    assert report["methods"]["ease"]["test"]["ndcg@10"] > report["methods"]["popularity"]["test"]["ndcg@10"]
