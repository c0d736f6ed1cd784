"""MovieLens (GroupLens): the converters of its archive formats, and its registered datasets.

- ``movielens-100k``: ``ml-100k/u.{data,item,user}`` (MD5-checked); second source: the copy inside
  ``recbole==1.2.1`` (`hybrid_rec.data.datasets.recbole_wheel`).
- ``movielens-1m``: ``::``-separated ``.dat`` files, with user attributes.
- ``movielens-20m``, ``movielens-latest-small``: ``ratings.csv`` + ``movies.csv`` (read in chunks).

Ratings are the weights; titles lose their ``(year)``, which becomes the year; movies nobody rated
are dropped from the catalog (they have no interactions).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator, Mapping
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from hybrid_rec.data.datasets.atomic import write_items, write_ratings
from hybrid_rec.data.datasets.recbole_wheel import RECBOLE_SOURCE, from_recbole_wheel
from hybrid_rec.data.datasets.registered import Fallback, RegisteredDataset, SourceFile
from hybrid_rec.errors import DataError

GROUPLENS = "https://files.grouplens.org/datasets/movielens/"
GROUPLENS_URL = GROUPLENS + "ml-100k.zip"
GROUPLENS_MD5 = "0e33842e24a9c977be4e0107933c0723"
#: Rows of a ratings CSV converted at a time (ML-20M has 20M rows).
CSV_CHUNK_ROWS = 2_000_000
ML100K_GENRES = [
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama",
    "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
]  # fmt: skip
#: MovieLens-1M ``users.dat`` codes, as its README lists them.
ML1M_AGES = {"1": "Under 18", "18": "18-24", "25": "25-34", "35": "35-44", "45": "45-49", "50": "50-55", "56": "56+"}
ML1M_OCCUPATIONS = [
    "other", "academic/educator", "artist", "clerical/admin", "college/grad student", "customer service",
    "doctor/health care", "executive/managerial", "farmer", "homemaker", "K-12 student", "lawyer", "programmer",
    "retired", "sales/marketing", "scientist", "self-employed", "technician/engineer", "tradesman/craftsman",
    "unemployed", "writer",
]  # fmt: skip
_STABLE_HINT = (
    "; the download is corrupted or is not the published archive. Try again; pass sha256= (--sha256) only "
    "if you know this file is right"
)


def _member(zf: zipfile.ZipFile, name: str) -> bytes:
    try:
        return zf.read(name)
    except KeyError as exc:
        raise DataError(f"GroupLens archive: member {name} missing") from exc


def _split_title(raw: str) -> tuple[str, str]:
    """``"Toy Story (1995)"`` -> ``("Toy Story", "1995")``."""
    raw = raw.strip().replace("\t", " ")
    if raw.endswith(")") and raw[-6:-5] == "(" and raw[-5:-1].isdigit():
        return raw[:-6].strip(), raw[-5:-1]
    return raw, ""


def grouplens_to_atomic(zf: zipfile.ZipFile, out: Path) -> dict[str, object]:
    """Convert the GroupLens ``ml-100k/u.{data,item,user}`` files to RecBole atomic files (in
    RecBole's own spelling, as the recbole wheel holds them: one format whichever source served);
    returns the counts recorded in the manifest."""

    def member(name: str) -> bytes:
        return _member(zf, f"ml-100k/{name}")

    data = pd.read_csv(io.BytesIO(member("u.data")), sep="\t", header=None, names=["u", "i", "r", "t"])
    inter = ["user_id:token\titem_id:token\trating:float\ttimestamp:float"]
    inter += [f"{u}\t{i}\t{r}\t{t}" for u, i, r, t in data.itertuples(index=False)]
    items = ["item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq"]
    for line in member("u.item").decode("latin-1").splitlines():
        if not line.strip():
            continue
        cells = line.split("|")
        title, year = _split_title(cells[1])
        if not year and cells[2]:
            year = cells[2][-4:]
        genres = [g for g, flag in zip(ML100K_GENRES, cells[5:24], strict=False) if flag == "1"]
        items.append(f"{cells[0]}\t{title}\t{year}\t{' '.join(genres)}")
    users = ["user_id:token\tage:token\tgender:token\toccupation:token\tzip_code:token"]
    users += [line.replace("|", "\t") for line in member("u.user").decode("latin-1").splitlines() if line.strip()]
    for name, lines in (("ml-100k.inter", inter), ("ml-100k.item", items), ("ml-100k.user", users)):
        (out / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"ratings": len(data), "users": len(users) - 1, "items": len(items) - 1}


def movielens_100k_to_atomic(files: Mapping[str, Path], out: Path) -> dict[str, object]:
    """``ml-100k.zip`` -> ``ml-100k.{inter,item,user}`` (see `grouplens_to_atomic`)."""
    with zipfile.ZipFile(files["ml-100k.zip"]) as zf:
        return grouplens_to_atomic(zf, out)


def _movie_rows(movies: pd.DataFrame, rated: np.ndarray) -> Iterator[tuple[object, str, str, list[str]]]:
    """Catalog rows (id, title without year, year, genres) of the rated movies, in file order;
    ``(no genres listed)`` is no genres."""
    keep = movies[movies["movieId"].isin(rated)]
    for movie, raw_title, raw_genres in keep[["movieId", "title", "genres"]].itertuples(index=False):
        title, year = _split_title(str(raw_title))
        genres = [g for g in str(raw_genres).split("|") if g and g != "(no genres listed)"]
        yield movie, title, year, genres


def movielens_1m_to_atomic(files: Mapping[str, Path], out: Path) -> dict[str, object]:
    """``ml-1m/{ratings,movies,users}.dat`` (``::``-separated, latin-1) -> ``ml-1m.{inter,item,user}``."""
    with zipfile.ZipFile(files["ml-1m.zip"]) as zf:
        ratings_text = _member(zf, "ml-1m/ratings.dat").decode("latin-1").replace("::", "\t")
        try:
            ratings = pd.read_csv(
                io.StringIO(ratings_text),
                sep="\t",
                header=None,
                names=["user_id", "item_id", "rating", "timestamp"],
                dtype={"user_id": "int64", "item_id": "int64", "rating": "float64", "timestamp": "int64"},
            ) if ratings_text.strip() else pd.DataFrame()  # fmt: skip
        except ValueError as exc:
            raise DataError(f"ml-1m/ratings.dat: expected UserID::MovieID::Rating::Timestamp numbers ({exc})") from exc
        n_rows, n_users, rated = write_ratings(out / "ml-1m.inter", [ratings], "ml-1m/ratings.dat")
        movies = []
        for lineno, line in enumerate(_member(zf, "ml-1m/movies.dat").decode("latin-1").splitlines(), 1):
            if line.strip():
                cells = line.split("::")
                if len(cells) != 3 or not cells[0].strip().isdigit():
                    raise DataError(f"ml-1m/movies.dat, line {lineno}: expected MovieID::Title::Genres, got {line!r}")
                movies.append((int(cells[0]), cells[1], cells[2]))
        frame = pd.DataFrame(movies, columns=["movieId", "title", "genres"])
        n_items = write_items(out / "ml-1m.item", _movie_rows(frame, rated))
        with open(out / "ml-1m.user", "w", encoding="utf-8", newline="\n") as fh:
            fh.write("user_id:token\tgender:token\tage:token\toccupation:token\tzip_code:token\n")
            for lineno, line in enumerate(_member(zf, "ml-1m/users.dat").decode("latin-1").splitlines(), 1):
                if not line.strip():
                    continue
                cells = line.split("::")
                if len(cells) != 5:
                    raise DataError(f"ml-1m/users.dat, line {lineno}: expected 5 fields, got {line!r}")
                user, gender, age, occupation, zip_code = (c.strip() for c in cells)
                job = ML1M_OCCUPATIONS[int(occupation)] if occupation.isdigit() and int(occupation) < 21 else occupation
                fh.write(f"{user}\t{gender}\t{ML1M_AGES.get(age, age)}\t{job}\t{zip_code}\n")
    return {"ratings": n_rows, "users": n_users, "items": n_items, "unrated_movies_dropped": len(frame) - n_items}


def movielens_csv_to_atomic(files: Mapping[str, Path], out: Path, *, archive: str, folder: str) -> dict[str, object]:
    """``<folder>/ratings.csv`` (``userId,movieId,rating,timestamp``, read in chunks) and
    ``<folder>/movies.csv`` (``movieId,title,genres``, quoted CSV) -> ``<folder>.{inter,item}``."""
    columns = {"userId": "int64", "movieId": "int64", "rating": "float64", "timestamp": "int64"}
    with zipfile.ZipFile(files[archive]) as zf:
        member = f"{folder}/ratings.csv"
        if member not in zf.namelist():
            raise DataError(f"GroupLens archive: member {member} missing")
        with zf.open(member) as raw:
            try:
                reader = pd.read_csv(raw, dtype=columns, usecols=list(columns), chunksize=CSV_CHUNK_ROWS)
            except ValueError as exc:  # a header without the expected columns
                raise DataError(f"{member}: expected columns {','.join(columns)} ({exc})") from exc
            chunks = (chunk[list(columns)] for chunk in reader)
            n_rows, n_users, rated = write_ratings(out / f"{folder}.inter", chunks, member)
        try:
            movies = pd.read_csv(
                io.BytesIO(_member(zf, f"{folder}/movies.csv")), dtype=str, keep_default_na=False, encoding="utf-8"
            )
            movies["movieId"] = movies["movieId"].astype("int64")
        except (ValueError, KeyError) as exc:
            raise DataError(f"{folder}/movies.csv: expected columns movieId,title,genres ({exc})") from exc
    n_items = write_items(out / f"{folder}.item", _movie_rows(movies, rated))
    return {"ratings": n_rows, "users": n_users, "items": n_items, "unrated_movies_dropped": len(movies) - n_items}


def _grouplens(archive: str, md5: str | None, sha256: str | None = None) -> SourceFile:
    """A GroupLens archive, held to the checksums published for it."""
    return SourceFile(archive, (GROUPLENS + archive,), md5=md5, sha256=sha256)


MOVIELENS: tuple[RegisteredDataset, ...] = (
    RegisteredDataset(
        name="movielens-100k",
        label="MovieLens-100K",
        noun="movie",
        files=(_grouplens("ml-100k.zip", GROUPLENS_MD5),),  # GroupLens' ml-100k.zip.md5
        convert=movielens_100k_to_atomic,
        stem="ml-100k",
        users=True,
        mismatch_hint=_STABLE_HINT,
        description="MovieLens-100K: 100,000 ratings of 943 users on 1,682 movies, with user attributes",
        fallbacks=(Fallback(RECBOLE_SOURCE, from_recbole_wheel),),
        genre_separator=None,  # RecBole's spelling (class:token_seq), as the recbole wheel holds it
    ),
    RegisteredDataset(
        name="movielens-1m",
        label="MovieLens-1M",
        noun="movie",
        files=(  # MD5: GroupLens' ml-1m.zip.md5; SHA-256: TensorFlow Datasets' url_checksums
            _grouplens(
                "ml-1m.zip",
                "c4d9eecfca2ab87c1945afe126590906",
                "a6898adb50b9ca05aa231689da44c217cb524e7ebd39d264c56e2832f2c54e20",
            ),
        ),
        convert=movielens_1m_to_atomic,
        stem="ml-1m",
        users=True,
        mismatch_hint=_STABLE_HINT,
        description="MovieLens-1M: 1,000,209 ratings of 6,040 users on 3,706 movies, with user attributes",
    ),
    RegisteredDataset(
        name="movielens-20m",
        label="MovieLens-20M",
        noun="movie",
        files=(  # MD5: GroupLens' ml-20m.zip.md5; SHA-256: TensorFlow Datasets' url_checksums
            _grouplens(
                "ml-20m.zip",
                "cd245b17a1ae2cc31bb14903e1204af3",
                "96f243c338a8665f6bcc89c53edf6ee39162a846940de6b7c8c48aeada765ff3",
            ),
        ),
        convert=partial(movielens_csv_to_atomic, archive="ml-20m.zip", folder="ml-20m"),
        stem="ml-20m",
        mismatch_hint=_STABLE_HINT,
        description="MovieLens-20M: 20,000,263 ratings of 138,493 users on 26,744 movies",
    ),
    RegisteredDataset(
        name="movielens-latest-small",
        label="MovieLens latest-small",
        noun="movie",
        files=(  # SHA-256: TensorFlow Datasets', the 2018-09 release
            _grouplens("ml-latest-small.zip", None, "696d65a3dfceac7c45750ad32df2c259311949efec81f0f144fdfb91ebc9e436"),
        ),
        convert=partial(movielens_csv_to_atomic, archive="ml-latest-small.zip", folder="ml-latest-small"),
        stem="ml-latest-small",
        mismatch_hint=(
            ". GroupLens replaces the 'latest' archives between releases under the same URL, so this may be a "
            "newer release rather than a bad download (the pinned one is the 2018-09 release). To use it, pin "
            "its checksum: `hybrid-rec data fetch movielens-latest-small --sha256 <sha256 above>` or "
            "fetch_dataset('movielens-latest-small', sha256='<sha256 above>')"
        ),
        description="MovieLens latest-small (2018-09): 100,836 ratings of 610 users on 9,724 movies "
        "(LlamaRec's 'ML-100k')",
    ),
)
