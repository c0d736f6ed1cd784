"""Commands that train, compare and answer with a model: ``compare``, ``train``, ``recommend``, ``score``,
``rerank``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hybrid_rec.cli._common import (
    DEFAULT_TRACK_URI,
    TrackOption,
    TrackUriOption,
    _check_store_path,
    _check_tracking,
    _load_pipeline,
    _state,
    _track,
    _user_errors,
    app,
)


@app.command()
@_user_errors
def compare(
    config: Annotated[Path, typer.Option("--config", "-c", help="TOML comparison config (see configs/).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory for report.json/md/html/png and recs/.")],
    methods: Annotated[str | None, typer.Option(help="Comma-separated subset of the config's methods.")] = None,
    home: Annotated[Path | None, typer.Option(help="Dataset cache root.")] = None,
    track: TrackOption = False,
    track_uri: TrackUriOption = DEFAULT_TRACK_URI,
) -> None:
    """Tune on validation, refit, evaluate on test and write a report; prints the table."""
    from hybrid_rec.evaluate.compare import CompareConfig, run_compare
    from hybrid_rec.evaluate.report import markdown_report

    cfg = CompareConfig.from_toml(config)
    _check_tracking(track)
    subset = [m.strip() for m in methods.split(",") if m.strip()] if methods else None
    report = run_compare(cfg, out, methods=subset, home=home, progress=not _state["quiet"])
    typer.echo(markdown_report(report))
    typer.echo(f"wrote {out / 'report.json'}, {out / 'report.md'}, {out / 'report.html'}, {out / 'report.png'}, "
               f"{out / 'recs'}/")  # fmt: skip
    if track:
        _track("compare", cfg.model_dump(mode="json"), report, [out / "report.json", out / "report.md",
               out / "report.html", out / "report.png", out / "search.png"], track_uri)  # fmt: skip


@app.command()
@_user_errors
def train(
    config: Annotated[Path, typer.Option("--config", "-c", help="TOML with [dataset] and [hybrid] (see configs/).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Model store directory (a new version is published).")],
    home: Annotated[Path | None, typer.Option(help="Dataset cache root.")] = None,
    track: TrackOption = False,
    track_uri: TrackUriOption = DEFAULT_TRACK_URI,
) -> None:
    """Train the whole pipeline (ALS, index, reranker, fusion) on all data and publish it to a model store.

    With a [search] table the [hybrid] parameters it names are searched first (grid or Optuna), each
    trial scored on every user's last interaction, and the best point is trained; search.json and
    search.png land beside the published model.
    """
    from hybrid_rec.evaluate.train_search import train_and_publish
    from hybrid_rec.pipeline import TrainConfig

    cfg = TrainConfig.from_toml(config)
    _check_store_path(out)  # before training, not after
    _check_tracking(track)
    if cfg.search is not None and cfg.search.kind == "optuna":
        from hybrid_rec._extras import require

        require("optuna", "tune", "[search] kind = 'optuna'")  # before the data is loaded
    done = train_and_publish(cfg, out, home=home, progress=not _state["quiet"])
    if done.search is not None:
        res = done.search.result
        typer.echo(
            f"search ({done.search.kind}, {len(res.trials)} trials, {sum(t.state == 'PRUNED' for t in res.trials)} "
            f"pruned): best held-out NDCG@10 {res.best_value:.4f} with {res.best_params}"
        )
    typer.echo(f"saved {out} as version {done.snapshot.version} ({done.info})")
    if done.search_files:
        typer.echo(f"wrote {', '.join(str(p) for p in done.search_files)}")
    if track:
        _track("train", *done.tracking(cfg), track_uri)


@app.command()
@_user_errors
def recommend(
    model: Annotated[Path, typer.Option("--model", "-m", help="Model store written by `hybrid-rec train`.")],
    user: Annotated[str, typer.Option("--user", "-u", help="External user id.")],
    k: Annotated[int, typer.Option("--k", min=1, max=1000, help="How many items.")] = 10,
    request: Annotated[str | None, typer.Option(help='An explicit request, e.g. "a comedy".')] = None,
    on_unknown: Annotated[
        str, typer.Option(help="raise | skip | fallback (popular items), for a user the model does not know.")
    ] = "raise",
) -> None:
    """Print recommendations for one user with their explanation."""
    from hybrid_rec.policy import check_on_unknown

    policy = check_on_unknown(on_unknown, "--on-unknown")
    pipeline = _load_pipeline(model)
    known, _ = pipeline.ids.users([user], policy, argument="--on-unknown")  # errors in the CLI's spelling
    if not len(known):
        typer.echo(f"user {user!r} is unknown; nothing to recommend (--on-unknown skip)")
        return
    recs = pipeline.recommend(list(known), k, request=request, on_unknown=policy)
    reading = pipeline.read_request(request)
    if reading is not None:
        sure = ", ".join(f"{v} {x:.2f}" for v, x in reading.similarity)
        said = f"request read as: {reading.note}" + (f" (similarity: {sure})" if sure else "")
        if reading.probabilities:
            said += "\n  probabilities: " + ", ".join(
                f"{v} wanted {w:.2f} / rejected {r:.2f}" for v, w, r in reading.probabilities
            )
        typer.echo(said if reading.understood else f"request not understood: {reading.note}")
    typer.echo(f"{'rank':>4}  {'item':>8}  {'fused':>7}  {'lm':>8}  sources                 title")
    for r in recs[0]:
        typer.echo(
            f"{r.rank:>4}  {r.item_id!s:>8}  {r.score:7.3f}  {r.lm_score:8.3f}  "
            f"{','.join(r.sources):<22}  {r.item_text}"
        )
        if r.reasons:
            typer.echo(f"{'':>33}why: {'; '.join(r.reasons)}")
    if recs[0] and recs[0][0].instruction:
        typer.echo("\ninstruction:\n" + recs[0][0].instruction)


@app.command()
@_user_errors
def score(
    model: Annotated[Path, typer.Option("--model", "-m", help="Model store or saved pipeline.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Parquet file: user_id, item_id, rank, score.")],
    users: Annotated[str, typer.Option(help="'all' or a file (CSV/Parquet with user_id, or one id per line).")] = "all",
    k: Annotated[int, typer.Option("--k", min=1, max=10_000)] = 100,
    chunk_users: Annotated[int, typer.Option(min=1, help="Users per chunk (bounds peak memory).")] = 1024,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes (local) or actors (ray).")] = 1,
    threads: Annotated[int, typer.Option(min=1, help="torch/BLAS threads per worker.")] = 1,
    backend: Annotated[str, typer.Option(help="local (process pool) or ray (Ray Data actor pool).")] = "local",
    gpus_per_actor: Annotated[float, typer.Option(min=0, help="GPUs per Ray actor.")] = 0.0,
) -> None:
    """Batch-score users to Parquet; resumable (finished chunks are kept and skipped on a rerun)."""
    from hybrid_rec.batch import BatchConfig
    from hybrid_rec.batch import score as run_score

    cfg = BatchConfig.from_dict(
        {
            "k": k,
            "chunk_users": chunk_users,
            "workers": workers,
            "threads": threads,
            "backend": backend,
            "ray_gpus_per_actor": gpus_per_actor,
        },
        source="score options",
    )
    res = run_score(model, users, out, cfg, progress=not _state["quiet"])
    typer.echo(
        f"wrote {res.rows} rows for {res.users} users to {res.out} "
        f"({res.chunks} chunks, {res.skipped_chunks} already done)"
    )


@app.command()
@_user_errors
def rerank(
    candidates: Annotated[Path, typer.Argument(help="CSV/Parquet of user_id,item_id[,score]: each user's candidates.")],
    model: Annotated[Path, typer.Option("--model", "-m", help="Model store or saved pipeline.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Parquet file: user_id, item_id, rank, score.")],
    k: Annotated[int | None, typer.Option("--k", min=1, help="Keep the best k per user (default: all).")] = None,
    chunk_users: Annotated[int, typer.Option(min=1, help="Users per chunk (bounds peak memory).")] = 1024,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes, one model replica each.")] = 1,
    threads: Annotated[int, typer.Option(min=1, help="torch/BLAS threads per worker.")] = 1,
    exclude_seen: Annotated[
        bool, typer.Option("--exclude-seen/--keep-seen", help="Leave out what each user already has (as `score` does).")
    ] = True,
) -> None:
    """Rerank another system's candidate lists to Parquet, through the same scoring path as `score`;
    resumable (finished chunks are kept and skipped on a rerun)."""
    from hybrid_rec.batch import BatchConfig
    from hybrid_rec.batch import rerank as run_rerank

    cfg = BatchConfig.from_dict({"chunk_users": chunk_users, "workers": workers, "threads": threads},
                                source="rerank options")  # fmt: skip
    res = run_rerank(model, candidates, out, cfg, k, progress=not _state["quiet"], exclude_seen=exclude_seen)
    typer.echo(
        f"wrote {res.rows} rows for {res.users} users to {res.out} "
        f"({res.chunks} chunks, {res.skipped_chunks} already done)"
    )
