"""The learned ranker inside the pipeline (`[hybrid.ranker] kind = "lightgbm"`): fitted on the validation
lists, saved in LightGBM's text format under the checksum manifest, and it changes the fused scores (a
feature that exists but changes nothing is a defect). `tests/pipeline/test_one_path.py` checks that
`rerank` of `recommend` is `recommend` with it."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import numpy as np
import pytest

from hybrid_rec.errors import DataError
from hybrid_rec.pipeline import HybridPipeline
from hybrid_rec.rerank.ranker import LightGBMRanker

pytest.importorskip("lightgbm")


@pytest.fixture(scope="module")
def model(tiny_models):
    return tiny_models("small", "lightgbm")


def test_the_ranker_is_saved_in_lightgbm_text_under_the_manifest(model, tmp_path) -> None:
    files = json.loads((model.path / "checksums.json").read_text())["files"]
    assert {"ranker.json", "ranker.txt"} <= set(files)
    pipe = model.load()
    assert isinstance(pipe.fitted.ranker, LightGBMRanker) and pipe.fitted.ranker.rows > 0
    copy = tmp_path / "model"
    shutil.copytree(model.path, copy)
    (copy / "ranker.txt").write_text((copy / "ranker.txt").read_text().replace("tree", "trea", 1))
    with pytest.raises(DataError, match="ranker.txt"):
        HybridPipeline.load(copy)


def test_the_ranker_changes_the_fused_scores(model) -> None:
    pipe = model.load()
    state = pipe.fitted
    users = np.arange(10)
    query = state.query(users)
    items, _ = state.first_stage(query, 20)
    scored = state.score(query, items)
    with_ranker = state.rank(query, scored, 20)[1]
    without = replace(state, ranker=None).rank(query, scored, 20)[1]
    correction = state.ranker.transform(scored.features, items)
    np.testing.assert_allclose(with_ranker, without + correction)
    assert np.nanmax(np.abs(correction)) > 1e-3
