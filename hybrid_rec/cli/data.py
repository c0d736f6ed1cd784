"""``hybrid-rec data``: fetch and inspect datasets."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hybrid_rec.cli._common import _user_errors, app

data_app = typer.Typer(help="Fetch and inspect datasets.", no_args_is_help=True)
app.add_typer(data_app, name="data")


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
