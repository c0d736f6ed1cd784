"""What every command shares: the `app`, the global flags (--quiet, --debug), library errors as one-line
messages, the shared options and the model-store helpers."""

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


DEFAULT_TRACK_URI = "sqlite:///runs/mlflow.db"
TrackOption = Annotated[bool, typer.Option("--track", help="Log the run to MLflow (the 'track' extra).")]
TrackUriOption = Annotated[str, typer.Option(help="MLflow tracking URI for --track.")]


# --events of every command that reads or writes the event log (feedback ingest, apply; serve)
EventsOption = Annotated[
    str | None,
    typer.Option("--events", help="The event log: postgresql://USER@HOST:PORT/DB (the 'postgres' extra; shared by "
                 "replicas and updaters on several hosts); unset: <model>/events.sqlite."),
]


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


