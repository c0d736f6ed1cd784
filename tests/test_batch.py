from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from hybrid_rec.batch import BatchConfig, score
from hybrid_rec.cli import app
from hybrid_rec.errors import ConfigError, DataError
from hybrid_rec.pipeline import HybridPipeline


@pytest.fixture(scope="module")
def model_dir(stream, tmp_path_factory):
    pipeline, _, _ = stream
    path = tmp_path_factory.mktemp("batch") / "model"
    pipeline.save(path)
    return path


def test_batch_equals_single_and_is_resumable(model_dir, tmp_path):
    out = tmp_path / "recs.parquet"
    res = score(model_dir, "all", out, BatchConfig(k=5, chunk_users=32), progress=False)
    frame = pd.read_parquet(out)
    assert res.chunks == 5 and res.users == 150 and len(frame) == res.rows
    pipe = HybridPipeline.load(model_dir)
    for user in ["u0", "u77", "u149"]:
        single = pipe.recommend([user], 5)[0]
        rows = frame[frame["user_id"] == user].sort_values("rank")
        assert rows["item_id"].tolist() == [r.item_id for r in single]
        np.testing.assert_allclose(rows["score"], [r.score for r in single], rtol=1e-5)
    (out.with_name("recs.parquet.parts") / "part-00002.parquet").unlink()
    again = score(model_dir, "all", out, BatchConfig(k=5, chunk_users=32), progress=False)
    assert again.skipped_chunks == 4
    assert pd.read_parquet(out).equals(frame)
    with pytest.raises(ConfigError, match="different run"):
        score(model_dir, "all", out, BatchConfig(k=7, chunk_users=32), progress=False)


def test_process_pool_gives_identical_output(model_dir, tmp_path):
    one = score(model_dir, "all", tmp_path / "a.parquet", BatchConfig(k=5, chunk_users=40), progress=False)
    two = score(model_dir, "all", tmp_path / "b.parquet", BatchConfig(k=5, chunk_users=40, workers=2), progress=False)
    assert pd.read_parquet(one.out).equals(pd.read_parquet(two.out))


def test_users_file_and_cli(model_dir, tmp_path):
    users = tmp_path / "users.txt"
    users.write_text("u1\nu2\nnobody\n")
    result = CliRunner().invoke(
        app,
        [
            "--quiet",
            "score",
            "--model",
            str(model_dir),
            "--users",
            str(users),
            "--k",
            "3",
            "--out",
            str(tmp_path / "r.parquet"),
        ],
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_parquet(tmp_path / "r.parquet")
    assert sorted(frame["user_id"].unique()) == ["u1", "u2"] and len(frame) == 6  # unknown users are left out
    with pytest.raises(DataError, match="not found"):
        score(model_dir, tmp_path / "missing.txt", tmp_path / "x.parquet", progress=False)


@pytest.mark.slow
def test_ray_backend_gives_identical_output(model_dir, tmp_path):
    pytest.importorskip("ray")
    local = score(model_dir, "all", tmp_path / "local.parquet", BatchConfig(k=5, chunk_users=40), progress=False)
    ray_out = score(
        model_dir,
        "all",
        tmp_path / "ray.parquet",
        BatchConfig(k=5, chunk_users=40, backend="ray", workers=2),
        progress=False,
    )
    assert pd.read_parquet(ray_out.out).equals(pd.read_parquet(local.out))
