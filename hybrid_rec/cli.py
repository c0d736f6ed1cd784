"""The ``hybrid-rec`` command line."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from typer.core import TyperGroup

from hybrid_rec.errors import HybridRecError

P = ParamSpec("P")
R = TypeVar("R")

GLOBAL_FLAGS = ("--quiet", "-q", "--debug")


class _GlobalFlagsAnywhere(TyperGroup):
    """The top-level group, taking the global flags after the subcommand too:
    ``hybrid-rec compare -c x.toml --quiet`` is ``hybrid-rec --quiet compare -c x.toml``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        end = args.index("--") if "--" in args else len(args)  # after "--" everything is an argument
        head = args[:end]
        flags = [a for a in head if a in GLOBAL_FLAGS]
        rest = [a for a in head if a not in GLOBAL_FLAGS]
        return super().parse_args(ctx, [*flags, *rest, *args[end:]])


app = typer.Typer(
    cls=_GlobalFlagsAnywhere,
    help="Hybrid CF + language-model recommender. --quiet and --debug may come before or after the command.",
    no_args_is_help=True,
    add_completion=False,
)
data_app = typer.Typer(help="Fetch and inspect datasets.", no_args_is_help=True)
app.add_typer(data_app, name="data")

_state = {"debug": False, "quiet": False}


@app.callback()
def _main(
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only warnings and errors; no progress bars.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Debug logging and full tracebacks.")] = False,
) -> None:
    _state.update(quiet=quiet, debug=debug)
    level = logging.DEBUG if debug else logging.WARNING if quiet else logging.INFO
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", force=True)
    logging.getLogger("hybrid_rec").setLevel(level)
    if quiet:
        import transformers

        transformers.utils.logging.disable_progress_bar()


def _user_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn library errors into a one-line message and exit code 2 (a traceback only with --debug)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except (HybridRecError, FileNotFoundError) as exc:
            if _state["debug"]:
                raise
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None

    return wrapper


@data_app.command("fetch")
@_user_errors
def data_fetch(
    name: Annotated[str, typer.Argument(help="Dataset name, e.g. movielens-100k.")],
    home: Annotated[
        Path | None, typer.Option(help="Cache root (default $HYBRID_REC_HOME or ~/.cache/hybrid_rec).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Download again even if a verified copy is cached.")] = False,
    sha256: Annotated[
        list[str] | None,
        typer.Option(
            help="Pin a downloaded file's SHA-256 instead of the registered checksum: HEX, or FILE=HEX per file "
            "(repeatable; e.g. a newer 'latest' release, or a dataset whose source publishes none)."
        ),
    ] = None,
    url: Annotated[
        list[str] | None,
        typer.Option(help="Download a file from another URL (a mirror, a file:// copy): URL, or FILE=URL per file."),
    ] = None,
) -> None:
    """Download a dataset into the cache, verify it and print where it is."""
    from hybrid_rec.data.datasets import fetch_dataset, parse_overrides

    path = fetch_dataset(name, home, force=force, sha256=parse_overrides(sha256), urls=parse_overrides(url))
    typer.echo(str(path))


@data_app.command("info")
@_user_errors
def data_info(
    name: Annotated[str, typer.Argument(help="Dataset name, e.g. movielens-100k.")],
    home: Annotated[Path | None, typer.Option(help="Cache root.")] = None,
) -> None:
    """Print the size of a dataset (fetching it first when needed)."""
    from hybrid_rec.data.datasets import load_dataset

    ds = load_dataset(name, home)
    inter = ds.interactions
    typer.echo(f"{ds.name}: {inter.n_users} users, {inter.n_items} items, {len(inter)} interactions")
    if ds.catalog is not None:
        typer.echo(f"catalog fields: {', '.join(ds.catalog.fields)}")


DEFAULT_TRACK_URI = "sqlite:///runs/mlflow.db"
TrackOption = Annotated[bool, typer.Option("--track", help="Log the run to MLflow (the 'track' extra).")]
TrackUriOption = Annotated[str, typer.Option(help="MLflow tracking URI for --track.")]


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


def _check_tracking(track: bool) -> None:
    """--track needs MLflow: say so before the long work, not after it."""
    if track:
        from hybrid_rec._extras import require

        require("mlflow", "track", "--track (MLflow experiment tracking)")


def _track(kind: str, params: dict, results: dict, artifacts: list[Path], uri: str) -> None:
    from hybrid_rec.tracking import log_run

    run_id = log_run(kind, params, results, artifacts, uri=uri)
    typer.echo(f"logged to MLflow ({uri}), run {run_id}")


def _check_store_path(out: Path) -> None:
    """`out` can hold a model store: a new or existing directory (a store, or empty), not a file."""
    from hybrid_rec.errors import DataError

    if out.exists() and not out.is_dir():
        raise DataError(f"{out}: is a file; --out names the model store directory to create or add a version to")
    if out.is_dir() and any(out.iterdir()) and not (out / "versions").is_dir():
        raise DataError(f"{out}: is a non-empty directory that is not a model store; choose a new --out")


def _load_pipeline(model: Path):
    """A model store (its live version) or a plain saved pipeline directory."""
    from hybrid_rec.pipeline import HybridPipeline
    from hybrid_rec.store import resolve_model

    return HybridPipeline.load(resolve_model(model)[0])


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


feedback_app = typer.Typer(help="Ingest feedback events and apply them to the model.", no_args_is_help=True)
app.add_typer(feedback_app, name="feedback")


# --events of every command that reads or writes the event log (feedback ingest, apply; serve)
EventsOption = Annotated[
    str | None,
    typer.Option("--events", help="The event log: postgresql://USER@HOST:PORT/DB (the 'postgres' extra; shared by "
                 "replicas and updaters on several hosts); unset: <model>/events.sqlite."),
]


@feedback_app.command("ingest")
@_user_errors
def feedback_ingest(
    events: Annotated[Path, typer.Argument(help="CSV with event_id,user_id,item_id,type,timestamp[,weight].")],
    model: Annotated[Path, typer.Option("--model", "-m", help="Model store; the log is <model>/events.sqlite.")],
    chunk: Annotated[int, typer.Option(min=1, help="Rows per committed transaction.")] = 10_000,
    create: Annotated[
        bool, typer.Option("--create", help="Start a new event log when --model is not a model store (yet).")
    ] = False,
    events_at: EventsOption = None,
) -> None:
    """Append events to the durable log (idempotent by event_id; bad rows are quarantined).

    The file is checked whole before any event is stored: UTF-8, comma-separated, the required
    columns, the same number of fields on every line.
    """
    from itertools import islice

    from hybrid_rec.errors import DataError
    from hybrid_rec.feedback.log import open_log, read_event_csv

    for _ in read_event_csv(events):  # a malformed file fails here, before anything is committed
        pass
    if events_at is None and not create and not (model / "CURRENT").is_file() and not (model / "events.sqlite").is_file():
        raise DataError(
            f"{model}: not a model store (no CURRENT) nor an event log; check the path, "
            "or pass --create to start an event log there"
        )
    totals = [0, 0, 0]
    rows = read_event_csv(events)
    with open_log(events_at, model) as log:
        while part := list(islice(rows, chunk)):
            res = log.ingest(part)
            totals = [totals[0] + res.accepted, totals[1] + res.duplicates, totals[2] + res.quarantined]
            typer.echo(f"committed through offset {res.last_offset} (+{res.accepted})")
    typer.echo(f"accepted {totals[0]}, duplicates ignored {totals[1]}, quarantined {totals[2]}")


@feedback_app.command("apply")
@_user_errors
def feedback_apply(
    model: Annotated[Path, typer.Option("--model", "-m", help="Model store written by `hybrid-rec train`.")],
    finetune: Annotated[bool, typer.Option(help="Also fine-tune the reranker on the new histories.")] = False,
    batch_size: Annotated[int, typer.Option(help="Events per micro-batch.")] = 50_000,
    guard_tolerance: Annotated[float, typer.Option(help="Largest tolerated drop of held-out NDCG@10.")] = 0.01,
    events_at: EventsOption = None,
) -> None:
    """Apply pending events in micro-batches; each accepted batch becomes a new model version."""
    from hybrid_rec.feedback.log import open_log
    from hybrid_rec.feedback.updater import UpdaterConfig, apply_pending
    from hybrid_rec.store import ModelStore

    store = ModelStore(model)
    cfg = UpdaterConfig(finetune=finetune, batch_size=batch_size, guard_tolerance=guard_tolerance)
    with open_log(events_at, model) as log:
        while True:
            res = apply_pending(store, log, cfg)
            typer.echo(
                f"{res.reason}: {res.events} events, applied offset {res.applied_offset}, "
                f"version {res.version} ({res.seconds:.1f}s)"
            )
            if not res.published:
                if res.events:  # refused (guard) or superseded: the caller must know, not see exit 0
                    raise typer.Exit(1)
                break


items_app = typer.Typer(help="Add catalog items to a served model.", no_args_is_help=True)
app.add_typer(items_app, name="items")


@items_app.command("add")
@_user_errors
def items_add(
    items: Annotated[
        Path, typer.Argument(help="CSV / Parquet / JSON lines: item_id plus catalog fields (list fields in CSV as 'A|B').")
    ],
    model: Annotated[Path, typer.Option("--model", "-m", help="Model store written by `hybrid-rec train`.")],
) -> None:
    """Publish a model version in which these items are recommendable from their text at once."""
    import pandas as pd

    from hybrid_rec.errors import DataError
    from hybrid_rec.feedback.updater import publish_items
    from hybrid_rec.store import ModelStore

    if not items.is_file():
        raise DataError(f"{items}: file not found")
    if items.suffix == ".parquet":
        frame = pd.read_parquet(items)
    elif items.suffix in (".jsonl", ".json"):
        frame = pd.read_json(items, lines=items.suffix == ".jsonl", dtype=False)
    else:
        frame = pd.read_csv(items, dtype=str, keep_default_na=False)
    if "item_id" not in frame.columns:
        raise DataError(f"{items}: needs an item_id column (has {list(frame.columns)})")
    added, version = publish_items(ModelStore(model), frame.set_index("item_id"))
    typer.echo(f"{len(frame)} items described, {len(added)} new; published version {version}")


@app.command()
@_user_errors
def simulate(
    config: Annotated[Path, typer.Option("--config", "-c", help="TOML with [dataset], [simulate], [hybrid].")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory for simulate.json and simulate.png.")],
    home: Annotated[Path | None, typer.Option(help="Dataset cache root.")] = None,
    track: TrackOption = False,
    track_uri: TrackUriOption = DEFAULT_TRACK_URI,
) -> None:
    """Replay the last part of the data in time order and compare update strategies."""
    from hybrid_rec.feedback.simulate import SimulateConfig, run_simulation

    cfg = SimulateConfig.from_toml(config)
    _check_tracking(track)
    report = run_simulation(cfg, out, home=home, progress=not _state["quiet"])
    if track:
        _track("simulate", cfg.model_dump(mode="json"), report, [out / "simulate.json", out / "simulate.png"], track_uri)
    typer.echo(f"{report['chunks']} chunks; base trained in {report['full_train_seconds']:.0f}s")
    typer.echo("| mode | stream NDCG@10 | HR@10 | update s (all chunks) | mean s per chunk |")
    typer.echo("|---|---|---|---|---|")
    for mode, m in report["modes"].items():
        typer.echo(
            f"| {mode} | {m['ndcg@10']:.4f} | {m['hr@10']:.4f} | {m['update_seconds']:.1f} "
            f"| {m['mean_chunk_update_seconds']:.2f} |"
        )
    for name, c in report["comparisons"].items():
        typer.echo(f"{name}: delta {c['delta']:+.4f}, 95% CI [{c['ci95'][0]:+.4f}, {c['ci95'][1]:+.4f}]")
    typer.echo(f"wrote {out / 'simulate.json'}, {out / 'simulate.png'}")


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


@app.command()
@_user_errors
def serve(
    model: Annotated[Path, typer.Option("--model", "-m", help="Model store (new versions are picked up live).")],
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    config_file: Annotated[
        Path | None,
        typer.Option("--config", help="TOML of the service's limits and settings (configs/serve.toml); flags win."),
    ] = None,
    max_k: Annotated[int | None, typer.Option(min=1, help="Largest k a client may ask for (default 100).")] = None,
    max_candidates: Annotated[
        int | None, typer.Option(min=1, help="Most candidates per /rerank list (default 1000).")
    ] = None,
    max_request_chars: Annotated[
        int | None, typer.Option(min=1, help="Longest request text, in characters (default 200).")
    ] = None,
    api_key_env: Annotated[
        str | None, typer.Option(help="Env variable holding the API key (/feedback, /items, /users, commits).")
    ] = None,
    ui: Annotated[bool, typer.Option("--ui", help="Serve the playground page at /ui (same API key).")] = False,
    workers: Annotated[
        int, typer.Option(min=1, help="Worker processes on one port, one model replica each (> 1 needs --state).")
    ] = 1,
    state: Annotated[
        str | None,
        typer.Option(help="Where conversations live: redis://HOST:PORT/DB, shared by every worker and replica "
                     "naming it (the 'redis' extra); unset: this process's memory."),
    ] = None,
    events_at: EventsOption = None,
) -> None:
    """Serve /recommend, /rerank, /feedback, /conversations, /health, /version (API docs at /docs, offline;
    the playground at /ui with --ui)."""
    import os

    from hybrid_rec._extras import require
    from hybrid_rec.errors import ConfigError

    for module in ("fastapi", "uvicorn", "fastapi_offline"):
        require(module, "serve", "hybrid-rec serve")
    from hybrid_rec.serve import ServeConfig, run

    key = None
    if api_key_env:
        key = os.environ.get(api_key_env)
        if not key:
            raise ConfigError(f"--api-key-env {api_key_env}: that environment variable is empty or unset")
    values = ServeConfig.from_toml(config_file).model_dump(exclude_unset=True) if config_file else {}
    flags = dict(max_k=max_k, max_candidates=max_candidates, max_request_chars=max_request_chars, api_key=key,
                 ui=ui or None, state=state, events=events_at)  # fmt: skip
    config = ServeConfig.from_dict({**values, **{k: v for k, v in flags.items() if v is not None}},
                                   source="hybrid-rec serve")  # fmt: skip
    run(model, host, port, config, workers)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="hybrid-rec")


if __name__ == "__main__":  # pragma: no cover
    main()
