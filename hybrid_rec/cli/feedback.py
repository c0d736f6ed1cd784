"""Commands of the feedback loop: ``feedback ingest``, ``feedback apply``, ``items add``, ``simulate``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hybrid_rec.cli._common import (
    DEFAULT_TRACK_URI,
    EventsOption,
    TrackOption,
    TrackUriOption,
    _check_tracking,
    _state,
    _track,
    _user_errors,
    app,
)

feedback_app = typer.Typer(help="Ingest feedback events and apply them to the model.", no_args_is_help=True)
app.add_typer(feedback_app, name="feedback")


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
    from hybrid_rec.feedback.log import read_event_csv
    from hybrid_rec.feedback.logs import open_log

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
    from hybrid_rec.feedback.logs import open_log
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
