"""CF factors from Spark ALS (the path for data beyond one machine): the Parquet layout Spark writes
(`model.userFactors.write.parquet(...)`: a directory of part files, `id` int + `features` array<float>)
read and used instead of training ALS here, from the API and from `hybrid-rec train`."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import tomli_w
from typer.testing import CliRunner

from hybrid_rec.candidates.als import read_factors
from hybrid_rec.cli import app
from hybrid_rec.data.synthetic import make_synthetic
from hybrid_rec.errors import DataError
from hybrid_rec.pipeline import HybridPipeline
from hybrid_rec.store import ModelStore
from tests.factory import tiny


def write_spark_factors(folder, ids, factors, parts=2):
    """What Spark's DataFrame writer leaves: part files and a _SUCCESS marker."""
    folder.mkdir(parents=True)
    for n, chunk in enumerate(np.array_split(np.arange(len(ids)), parts)):
        table = pa.table({"id": pa.array(ids[chunk], pa.int32()),
                          "features": pa.array([list(map(float, factors[i])) for i in chunk], pa.list_(pa.float32()))})  # fmt: skip
        pq.write_table(table, folder / f"part-{n:05d}-c000.snappy.parquet")
    (folder / "_SUCCESS").write_text("")


@pytest.mark.slow
def test_spark_factors_train_a_pipeline_from_the_command_line(tmp_path):
    ds = make_synthetic(n_users=60, n_items=30, n_clusters=3, interactions_per_user=10, seed=4)
    events = ds.interactions.to_dataframe()[["user_id", "item_id", "timestamp"]]
    events["user_id"] = events["user_id"].str[1:]  # "u12" -> "12": Spark ALS needs integer ids
    events["item_id"] = events["item_id"].str[1:]
    events.to_csv(tmp_path / "events.csv", index=False)
    rng = np.random.default_rng(0)
    users, items = np.arange(60), np.arange(30)
    uf, itf = rng.standard_normal((60, 6)).astype(np.float32), rng.standard_normal((30, 6)).astype(np.float32)
    write_spark_factors(tmp_path / "userFactors", users[:-5], uf[:-5])  # 5 users without factors: solved here
    write_spark_factors(tmp_path / "itemFactors", items, itf)
    ids, got = read_factors(tmp_path / "userFactors")
    assert sorted(ids.tolist()) == list(range(55)) and got.shape == (55, 6)

    cfg = {"dataset": {"name": "file", "path": str(tmp_path / "events.csv")}, "hybrid": tiny(),
           "external_factors": {"users": str(tmp_path / "userFactors"), "items": str(tmp_path / "itemFactors")}}  # fmt: skip
    (tmp_path / "train.toml").write_text(tomli_w.dumps(cfg))
    result = CliRunner().invoke(app, ["--quiet", "train", "--config", str(tmp_path / "train.toml"), "--out",
                                      str(tmp_path / "model")])  # fmt: skip
    assert result.exit_code == 0, result.output
    pipe = HybridPipeline.load(ModelStore(tmp_path / "model").current().path / "model")
    als = pipe.generator.als
    assert als.item_factors.shape[1] == 6  # Spark's rank, not the config's factors
    rows = als.items.to_internal(["3", "17"])
    np.testing.assert_allclose(als.item_factors[rows], itf[[3, 17]], rtol=1e-6)  # Spark's int ids matched text ids
    missing = als.users.to_internal(["57"])[0]
    assert np.abs(als.user_factors[missing]).sum() > 0  # solved from its interactions


def test_bad_factor_files_are_named(tmp_path):
    with pytest.raises(DataError, match="not found"):
        read_factors(tmp_path / "nope")
    pq.write_table(pa.table({"id": [1, 1], "features": [[0.1], [0.2]]}), tmp_path / "dup.parquet")
    with pytest.raises(DataError, match="appears twice"):
        read_factors(tmp_path / "dup.parquet")
    pq.write_table(pa.table({"id": [1, 2], "features": [[0.1], [0.2, 0.3]]}), tmp_path / "ragged.parquet")
    with pytest.raises(DataError, match="different lengths"):
        read_factors(tmp_path / "ragged.parquet")
