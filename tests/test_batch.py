from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from hybrid_rec.batch import BatchConfig, read_candidates, rerank, score
from hybrid_rec.cli import app
from hybrid_rec.errors import ConfigError, DataError
from hybrid_rec.pipeline import HybridPipeline


@pytest.fixture(scope="module")
def model_dir(tiny_models):
    """The saved `stream` model: 150 users (read only here)."""
    return tiny_models("stream").path


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


def test_a_resume_with_other_users_of_the_same_length_refuses(model_dir, tmp_path):
    """The manifest records a hash of the users list and of the model's content: a different list of
    the same length, or a model re-saved at the same path, never resumes onto the old parts."""
    import shutil

    from hybrid_rec.persist import write_checksums

    model = shutil.copytree(model_dir, tmp_path / "model")
    out = tmp_path / "recs.parquet"
    (tmp_path / "a.txt").write_text("u1\nu2\nu3\n")
    (tmp_path / "b.txt").write_text("u4\nu5\nu6\n")
    score(model, tmp_path / "a.txt", out, BatchConfig(k=3, chunk_users=2), progress=False)
    with pytest.raises(ConfigError, match="different run"):
        score(model, tmp_path / "b.txt", out, BatchConfig(k=3, chunk_users=2), progress=False)
    fusion = model / "fusion.json"
    fusion.write_text(fusion.read_text().replace("{", "{ ", 1))  # same path, other content
    write_checksums(model)
    with pytest.raises(ConfigError, match="different run"):
        score(model, tmp_path / "a.txt", out, BatchConfig(k=3, chunk_users=2), progress=False)


def test_a_truncated_part_is_scored_again(model_dir, tmp_path):
    out = tmp_path / "recs.parquet"
    first = score(model_dir, "all", out, BatchConfig(k=3, chunk_users=64), progress=False)
    frame = pd.read_parquet(out)
    part = out.with_name("recs.parquet.parts") / "part-00001.parquet"
    part.write_bytes(part.read_bytes()[:100])
    again = score(model_dir, "all", out, BatchConfig(k=3, chunk_users=64), progress=False)
    assert again.skipped_chunks == first.chunks - 1 and pd.read_parquet(out).equals(frame)


def test_unknown_and_repeated_users_are_counted_not_silently_dropped(model_dir, tmp_path, caplog):
    users = tmp_path / "users.csv"
    users.write_text("user_id\nu1\nghost\nu1\nu2\n")
    with caplog.at_level("WARNING"):
        res = score(model_dir, users, tmp_path / "r.parquet", BatchConfig(k=2), progress=False)
    frame = pd.read_parquet(tmp_path / "r.parquet")
    assert res.unknown_users == 1 and res.duplicate_users == 1 and res.users == 3
    assert sorted(frame["user_id"].unique()) == ["u1", "u2"] and len(frame) == 4  # u1 once, not twice
    assert "1 of 3 users are not known" in caplog.text and "1 repeated user ids" in caplog.text


def test_bad_outputs_and_users_files_are_errors_before_any_work(model_dir, tmp_path):
    (tmp_path / "dir").mkdir()
    with pytest.raises(DataError, match="is a directory"):
        score(model_dir, "all", tmp_path / "dir", BatchConfig(k=2), progress=False)
    pd.DataFrame({"customer": ["u1"]}).to_parquet(tmp_path / "u.parquet")
    with pytest.raises(DataError, match="no user_id column"):
        score(model_dir, tmp_path / "u.parquet", tmp_path / "r.parquet", BatchConfig(k=2), progress=False)


# ---------------------------------------------------------------------------- reranking files


def _candidates(model_dir, tmp_path, users=("u0", "u5", "u77", "nobody"), n=12):
    """A file of outside lists: for each user the model's own top `n` in reverse order, plus an
    item the model does not know."""
    pipe = HybridPipeline.load(model_dir)
    rows = []
    for user in users:
        own = [*[r.item_id for r in pipe.recommend([user], n, on_unknown="fallback")[0]][::-1], "not-ours"]
        rows += [(user, item, 0.0) for item in own]
    path = tmp_path / "cands.csv"
    pd.DataFrame(rows, columns=["user_id", "item_id", "score"]).drop(columns="score").to_csv(path, index=False)
    return pipe, path


def test_a_candidates_file_is_reranked_as_rerank_does_each_list_and_resumes(model_dir, tmp_path):
    pipe, path = _candidates(model_dir, tmp_path)
    out = tmp_path / "reranked.parquet"
    res = rerank(model_dir, path, out, BatchConfig(chunk_users=2), k=5, progress=False)
    frame = pd.read_parquet(out)
    assert res.users == 4 and res.chunks == 2 and len(frame) == res.rows == 4 * 5
    given = pd.read_csv(path, dtype=str)
    for user in ["u0", "u77", "nobody"]:
        single = pipe.rerank(user, given[given.user_id == user].item_id.tolist(), 5)
        rows = frame[frame["user_id"] == user].sort_values("rank")
        assert rows["item_id"].tolist() == [r.item_id for r in single]
        np.testing.assert_allclose(rows["score"], [r.score for r in single], rtol=1e-5)
    assert "not-ours" not in set(frame["item_id"])
    (out.with_name("reranked.parquet.parts") / "part-00001.parquet").unlink()
    again = rerank(model_dir, path, out, BatchConfig(chunk_users=2), k=5, progress=False)
    assert again.skipped_chunks == 1 and pd.read_parquet(out).equals(frame)
    with pytest.raises(ConfigError, match="different run"):
        rerank(model_dir, path, out, BatchConfig(chunk_users=2), k=6, progress=False)


def test_the_rerank_cli_writes_every_known_candidate_ranked(model_dir, tmp_path):
    _pipe, path = _candidates(model_dir, tmp_path, users=("u1", "u2"), n=6)
    result = CliRunner().invoke(app, ["--quiet", "rerank", str(path), "--model", str(model_dir), "--out",
                                      str(tmp_path / "r.parquet")])  # fmt: skip
    assert result.exit_code == 0, result.output
    frame = pd.read_parquet(tmp_path / "r.parquet")
    assert frame.groupby("user_id").size().to_dict() == {"u1": 6, "u2": 6}  # all known candidates, ranked
    assert (frame.groupby("user_id")["rank"].apply(list) == pd.Series({"u1": list(range(1, 7)), "u2": list(range(1, 7))})).all()


def test_bad_candidate_files_are_errors_naming_the_fix(model_dir, tmp_path):
    with pytest.raises(DataError, match="not found"):
        rerank(model_dir, tmp_path / "none.csv", tmp_path / "x.parquet")
    pd.DataFrame({"user": ["u1"], "item_id": ["i1"]}).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(DataError, match=r"\['user_id'\] missing"):
        rerank(model_dir, tmp_path / "bad.csv", tmp_path / "x.parquet")
    pd.DataFrame({"user_id": ["u1"], "item_id": ["i1"], "score": ["high"]}).to_csv(tmp_path / "s.csv", index=False)
    with pytest.raises(DataError, match="not a number"):
        rerank(model_dir, tmp_path / "s.csv", tmp_path / "x.parquet")


def test_read_candidates_orders_by_score_when_given(tmp_path):
    pd.DataFrame({"user_id": ["a", "b", "a", "a"], "item_id": ["x", "y", "z", "w"], "score": [1, 5, 3, 2]}).to_csv(
        tmp_path / "c.csv", index=False
    )
    lists = read_candidates(tmp_path / "c.csv")
    assert [(u, list(i)) for u, i in lists] == [("a", ["z", "w", "x"]), ("b", ["y"])]


def test_a_killed_rerank_resumes_without_mixing_rows(model_dir, tmp_path, monkeypatch):
    import hybrid_rec.batch as batch

    _pipe, path = _candidates(model_dir, tmp_path, users=("u0", "u1", "u2", "u3", "u4", "u5"), n=8)
    whole = rerank(model_dir, path, tmp_path / "whole.parquet", BatchConfig(chunk_users=2), k=4)
    real = batch._rerank_chunk

    def dies_on_the_second(args):
        if args[0] == 1:
            raise KeyboardInterrupt("killed")  # what a kill leaves: chunk 0 written, the rest not
        return real(args)

    out = tmp_path / "resumed.parquet"
    monkeypatch.setattr(batch, "_rerank_chunk", dies_on_the_second)
    with pytest.raises(KeyboardInterrupt):
        rerank(model_dir, path, out, BatchConfig(chunk_users=2), k=4)
    assert not out.exists() and len(list(out.with_name("resumed.parquet.parts").glob("part-*.parquet"))) == 1
    monkeypatch.setattr(batch, "_rerank_chunk", real)
    again = rerank(model_dir, path, out, BatchConfig(chunk_users=2), k=4)
    assert again.skipped_chunks == 1 and again.rows == whole.rows
    assert pd.read_parquet(out).equals(pd.read_parquet(whole.out))


def test_reranked_users_keep_the_files_spelling_so_known_and_unknown_users_share_a_column(tmp_path):
    """A model keyed by integers reads "42" as 42 but keeps "new-0" as text: the output's user_id
    column holds the file's ids (one type, as Parquet needs), not the model's spelling."""
    import hybrid_rec.batch as batch
    from hybrid_rec.explain import Recommendation

    class Model:
        def rerank_many(self, lists, k, exclude_seen=True):
            as_model = lambda u: int(u) if str(u).isdigit() else u
            return [[Recommendation(as_model(u), int(i), 1, 0.5, 0.1, {}, (), "")] for u, items in lists for i in items[:1]]

    batch._WORKER["pipeline"] = Model()  # type: ignore[assignment]
    try:
        rows = batch._rerank_chunk((0, [("42", np.array(["7"])), ("new-0", np.array(["8"]))], 1, str(tmp_path), True))
    finally:
        batch._WORKER.clear()
    frame = pd.read_parquet(tmp_path / "part-00000.parquet")
    assert rows == 2 and frame["user_id"].tolist() == ["42", "new-0"] and frame["item_id"].tolist() == [7, 8]


def test_the_rerank_cli_leaves_out_seen_items_unless_told_to_keep_them(model_dir, tmp_path):
    pipe = HybridPipeline.load(model_dir)
    users = pipe.generator.users
    seen_by = pipe.fitted.seen(np.arange(len(users)))
    user = users.ids[int(np.argmax(np.diff(seen_by.indptr) >= 3))]
    seen = list(pipe.generator.items.ids[pipe.fitted.seen(users.to_internal([user]))[0].indices[:3]])
    unseen = [r.item_id for r in pipe.recommend([user], 3)[0]]
    path = tmp_path / "c.csv"
    pd.DataFrame({"user_id": user, "item_id": [*seen, *unseen]}).to_csv(path, index=False)
    got = {}
    for flag in ("--exclude-seen", "--keep-seen"):
        out = tmp_path / f"{flag}.parquet"
        result = CliRunner().invoke(app, ["--quiet", "rerank", str(path), "--model", str(model_dir), "--out", str(out),
                                          flag])  # fmt: skip
        assert result.exit_code == 0, result.output
        got[flag] = set(pd.read_parquet(out)["item_id"])
    assert len(seen) == 3 and got["--exclude-seen"] == set(unseen) and got["--keep-seen"] == {*seen, *unseen}
