"""The registered datasets beyond MovieLens-100K, offline: tiny archives in each source's exact
format (built here), fetched through the real fetch path from ``file://`` URLs; plus k-core."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import logging
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from typer.testing import CliRunner

from hybrid_rec.data import datasets
from hybrid_rec.data.config import DatasetConfig, build_dataset
from hybrid_rec.data.datasets import REGISTERED, RegisteredDataset, fetch_dataset, load_dataset
from hybrid_rec.data.filters import k_core, k_core_mask
from hybrid_rec.data.interactions import Interactions
from hybrid_rec.errors import ConfigError, DataError


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, payload in members.items():
            zf.writestr(name, payload)
    return buf.getvalue()


def _sha256(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def _pinned(name: str, payloads: dict[str, bytes], tmp_path: Path) -> RegisteredDataset:
    """The registered dataset `name` with its files written under `tmp_path` and held to their own
    MD5 and SHA-256 (the registered checksums are those of the real archives)."""
    spec = REGISTERED[name]
    files = []
    for file in spec.files:
        path = tmp_path / file.name
        path.write_bytes(payloads[file.name])
        md5 = hashlib.md5(payloads[file.name]).hexdigest() if file.md5 else None
        sha = _sha256(payloads[file.name]) if file.sha256 else None
        files.append(replace(file, urls=(path.as_uri(),), md5=md5, sha256=sha))
    return replace(spec, files=tuple(files))


def _no_staging_left(home: Path) -> bool:
    return not list((home / "datasets").glob(".fetch-*"))


# ------------------------------------------------------------------------------ MovieLens-1M

ML1M = {
    "ml-1m/ratings.dat": b"1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::978298413\n"
    b"2::73::2::978299000\n2::29::4::978299100\n",
    "ml-1m/movies.dat": "1193::One Flew Over the Cuckoo's Nest (1975)::Drama\n"
    "661::James and the Giant Peach (1996)::Animation|Children's|Musical\n"
    "73::Misérables, Les (1995)::Drama|Musical\n"
    "29::City of Lost Children, The (Cité des enfants perdus, La) (1995)::Adventure|Sci-Fi\n"
    "3952::Contender, The (2000)::Drama|Thriller\n".encode("latin-1"),
    "ml-1m/users.dat": b"1::F::1::10::48067\n2::M::56::16::70072\n",
}


@pytest.fixture()
def ml1m(tmp_path):
    return _pinned("movielens-1m", {"ml-1m.zip": _zip(ML1M)}, tmp_path)


def test_movielens_1m_reads_the_dat_format(tmp_path, ml1m):
    home = tmp_path / "home"
    directory = ml1m.fetch(home)
    ds = load_dataset("movielens-1m", home, download=False)  # the registered loader reads the cache
    inter = ds.interactions
    df = inter.to_dataframe()
    assert df[["user_id", "item_id", "weight", "timestamp"]].values.tolist() == [
        [1, 1193, 5.0, 978300760.0],
        [1, 661, 3.0, 978302109.0],
        [2, 1193, 4.0, 978298413.0],
        [2, 73, 2.0, 978299000.0],
        [2, 29, 4.0, 978299100.0],
    ]
    assert ds.catalog.item(73) == {"title": "Misérables, Les", "year": "1995", "genres": ("Drama", "Musical")}
    assert ds.catalog.item(661)["genres"] == ("Animation", "Children's", "Musical")
    assert ds.catalog.item(29)["title"] == "City of Lost Children, The (Cité des enfants perdus, La)"
    assert ds.catalog.describe(1193) == "One Flew Over the Cuckoo's Nest (1975); Drama"
    assert 3952 not in ds.catalog and inter.n_items == 4  # a movie nobody rated is not an item
    assert ds.catalog.user(1) == {"gender": "F", "age": "Under 18", "occupation": "K-12 student", "zip_code": "48067"}
    assert ds.catalog.user(2)["occupation"] == "self-employed" and ds.catalog.user(2)["age"] == "56+"
    manifest = json.loads((directory / "manifest.json").read_text())
    assert manifest["downloads"][0]["checked_against"] == "registered md5, sha256"
    assert manifest["stats"] == {"ratings": 5, "users": 2, "items": 4, "unrated_movies_dropped": 1}
    assert _no_staging_left(home)


@pytest.mark.parametrize("algo", ["md5", "sha256"])
def test_movielens_1m_checksum_mismatch_is_refused_and_leaves_nothing(tmp_path, ml1m, algo):
    bad = replace(ml1m, files=(replace(ml1m.files[0], **{algo: "0" * (32 if algo == "md5" else 64)}),))
    home = tmp_path / "home"
    with pytest.raises(DataError, match=rf"checksum mismatch \({algo} [0-9a-f]+, expected 0+\).*corrupted"):
        bad.fetch(home)
    assert not (home / "datasets" / "movielens-1m").exists() and _no_staging_left(home)
    assert not list(tmp_path.glob("home/**/*.zip")), "the downloaded archive is removed"


def test_corrupted_cache_fails_the_manifest_check(tmp_path, ml1m):
    home = tmp_path / "home"
    directory = ml1m.fetch(home)
    item_file = directory / "ml-1m.item"
    item_file.write_bytes(item_file.read_bytes().replace(b"Drama", b"Dramb", 1))
    with pytest.raises(DataError, match="failed verification"):
        load_dataset("movielens-1m", home, download=False)
    ml1m.fetch(home)  # a fetch replaces the tampered copy
    assert load_dataset("movielens-1m", home, download=False).catalog.item(1193)["genres"] == ("Drama",)


def test_a_bad_dat_line_fails_the_fetch_naming_it(tmp_path):
    broken = dict(ML1M, **{"ml-1m/movies.dat": b"1193::One Flew Over the Cuckoo's Nest (1975)\n"})
    spec = _pinned("movielens-1m", {"ml-1m.zip": _zip(broken)}, tmp_path)
    with pytest.raises(DataError, match=r"movies.dat, line 1: expected MovieID::Title::Genres"):
        spec.fetch(tmp_path / "home")
    assert not (tmp_path / "home" / "datasets" / "movielens-1m").exists()


# ------------------------------------------------------------------------------ MovieLens CSV (latest-small, 20M)


def _movielens_csv(folder: str) -> bytes:
    ratings = (
        "userId,movieId,rating,timestamp\n"
        "1,1,4.0,964982703\n1,3,4.5,964981247\n2,3,0.5,1445714835\n2,193609,3.0,1537157606\n3,149352,5.0,1537157000\n"
    )
    movies = (
        "movieId,title,genres\n"
        "1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy\n"
        '3,"American President, The (1995)",Comedy|Drama|Romance\n'
        "5,Father of the Bride Part II (1995),Comedy\n"
        '149352,"Daddy\'s Home, ""The Movie"" (2015)",Comedy\n'
        "193609,Black Mirror,(no genres listed)\n"
    )
    return _zip({f"{folder}/ratings.csv": ratings.encode(), f"{folder}/movies.csv": movies.encode()})


CSV_EXPECTED_ROWS = [
    [1, 1, 4.0, 964982703.0],
    [1, 3, 4.5, 964981247.0],
    [2, 3, 0.5, 1445714835.0],
    [2, 193609, 3.0, 1537157606.0],
    [3, 149352, 5.0, 1537157000.0],
]


@pytest.mark.parametrize(
    ("name", "folder"), [("movielens-latest-small", "ml-latest-small"), ("movielens-20m", "ml-20m")]
)
@pytest.mark.parametrize("chunk_rows", [2, 2_000_000])
def test_movielens_csv_archives(tmp_path, monkeypatch, name, folder, chunk_rows):
    monkeypatch.setattr(datasets.movielens, "CSV_CHUNK_ROWS", chunk_rows)  # several chunks as for ML-20M, or one
    spec = _pinned(name, {f"{folder}.zip": _movielens_csv(folder)}, tmp_path)
    home = tmp_path / "home"
    spec.fetch(home)
    ds = load_dataset(name, home, download=False)
    assert ds.interactions.to_dataframe()[["user_id", "item_id", "weight", "timestamp"]].values.tolist() == (
        CSV_EXPECTED_ROWS
    )
    catalog = ds.catalog
    assert catalog.item(1) == {
        "title": "Toy Story",
        "year": "1995",
        "genres": ("Adventure", "Animation", "Children", "Comedy", "Fantasy"),
    }
    assert catalog.item(3)["title"] == "American President, The"  # a quoted title with a comma
    assert catalog.item(149352)["title"] == 'Daddy\'s Home, "The Movie"' and catalog.item(149352)["year"] == "2015"
    assert catalog.item(193609) == {"title": "Black Mirror", "year": "", "genres": ()}  # no year, no genres
    assert 5 not in catalog and ds.interactions.n_items == 4


def test_a_bad_rating_fails_the_fetch_naming_the_file(tmp_path):
    archive = _zip(
        {
            "ml-20m/ratings.csv": b"userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,2,four,964982704\n",
            "ml-20m/movies.csv": b"movieId,title,genres\n1,Toy Story (1995),Comedy\n",
        }
    )
    spec = _pinned("movielens-20m", {"ml-20m.zip": archive}, tmp_path)
    with pytest.raises(DataError, match=r"ml-20m/ratings.csv: cannot read the ratings"):
        spec.fetch(tmp_path / "home")
    assert not (tmp_path / "home" / "datasets" / "movielens-20m").exists()


def test_the_next_url_is_tried_when_one_fails(tmp_path):
    spec = _pinned("movielens-latest-small", {"ml-latest-small.zip": _movielens_csv("ml-latest-small")}, tmp_path)
    good = spec.files[0].urls[0]
    mirrored = replace(spec, files=(replace(spec.files[0], urls=((tmp_path / "gone.zip").as_uri(), good)),))
    directory = mirrored.fetch(tmp_path / "home")
    assert json.loads((directory / "manifest.json").read_text())["downloads"][0]["url"] == good


def test_latest_small_mismatch_says_the_archive_may_be_newer_and_how_to_pin_it(tmp_path):
    archive = _movielens_csv("ml-latest-small")
    path = tmp_path / "ml-latest-small.zip"
    path.write_bytes(archive)
    home = tmp_path / "home"
    with pytest.raises(DataError) as err:  # the registered (real) checksum: the fixture is not that archive
        fetch_dataset("movielens-latest-small", home, urls=path.as_uri())
    message = str(err.value)
    assert f"sha256 {_sha256(archive)}" in message and "newer release" in message and "--sha256" in message
    assert not (home / "datasets" / "movielens-latest-small").exists()
    # the override the message names: pin the downloaded file's SHA-256
    directory = fetch_dataset("movielens-latest-small", home, urls=path.as_uri(), sha256=_sha256(archive))
    record = json.loads((directory / "manifest.json").read_text())["downloads"][0]
    assert record["checked_against"] == "sha256 given by the caller" and record["sha256"] == _sha256(archive)
    assert len(load_dataset("movielens-latest-small", home, download=False).interactions) == 5


@pytest.fixture()
def restore_logging():
    """The CLI configures logging onto CliRunner's (then closed) stream: put it back afterwards."""
    handlers, level = logging.root.handlers[:], logging.getLogger("hybrid_rec").level
    yield
    logging.root.handlers[:] = handlers
    logging.getLogger("hybrid_rec").setLevel(level)


def test_cli_fetch_takes_sha256_and_url(tmp_path, restore_logging):
    from hybrid_rec.cli import app

    archive = _movielens_csv("ml-latest-small")
    path = tmp_path / "ml-latest-small.zip"
    path.write_bytes(archive)
    home = tmp_path / "home"
    args = ["data", "fetch", "movielens-latest-small", "--home", str(home), "--url", path.as_uri()]
    refused = CliRunner().invoke(app, args)
    assert refused.exit_code == 2 and "checksum mismatch" in refused.output
    result = CliRunner().invoke(app, [*args, "--sha256", f"ml-latest-small.zip={_sha256(archive)}"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == str(home / "datasets" / "movielens-latest-small")


def test_dataset_config_takes_registered_names(tmp_path):
    spec = _pinned("movielens-latest-small", {"ml-latest-small.zip": _movielens_csv("ml-latest-small")}, tmp_path)
    spec.fetch(tmp_path / "home")
    ds = build_dataset(DatasetConfig(name="movielens-latest-small", min_weight=4.0), tmp_path / "home")
    assert ds.name == "movielens-latest-small" and len(ds.interactions) == 3
    for name in REGISTERED:
        DatasetConfig(name=name)
    with pytest.raises(ValidationError, match="unknown dataset 'ml-1m'"):
        DatasetConfig(name="ml-1m")


# ------------------------------------------------------------------------------ Amazon Reviews 2023

T0 = 1588687728923  # ms


def _review(user: str, item: str, ms: int, rating: float = 5.0, asin: str | None = None) -> dict:
    return {
        "rating": rating,
        "title": "Such a lovely scent",
        "text": "This spray is really nice.\nIt smells good.",
        "images": [],
        "asin": asin or item,
        "parent_asin": item,
        "user_id": user,
        "timestamp": ms,
        "helpful_vote": 0,
        "verified_purchase": True,
    }


def _meta(item: str, title: str | None, categories: list[str] | None = None) -> dict:
    line = {
        "main_category": "All Beauty",
        "title": title,
        "average_rating": 4.3,
        "rating_number": 384,
        "features": [],
        "description": ["If given the choice, ..."],
        "price": None,
        "images": [],
        "videos": [],
        "store": "Herbivore",
        "details": {"Brand": "Herbivore"},
        "parent_asin": item,
        "bought_together": None,
    }
    if categories is not None:
        line["categories"] = categories
    return line


CORE_USERS = [f"AUSER{n}XYZ" for n in range(1, 6)]
CORE_ITEMS = [f"B00ITEM{n}" for n in range(1, 6)]


def amazon_fixture() -> tuple[bytes, bytes]:
    """Reviews + metadata (gzip'd JSON lines). The 5-core is the 5 core users x the 5 core items;
    around it: a repeated review (the later one first in the file, a variant asin), a user with 3
    reviews, a user whose 5th review is of an item without a metadata line (so 4 remain), and an
    item whose 5th reviewer is that user (so it falls in the second round)."""
    reviews = []
    ms = T0
    for u in CORE_USERS:
        for i in CORE_ITEMS:
            ms += 1000
            reviews.append(_review(u, i, ms, rating=1.0 if (u, i) == (CORE_USERS[0], CORE_ITEMS[0]) else 4.0))
    reviews.insert(0, _review(CORE_USERS[0], CORE_ITEMS[0], T0 + 10**9, rating=2.0, asin="B00ITEM1-RED"))  # repeat
    reviews += [_review("AFEWREVIEWS", i, T0 + 7, 3.0) for i in CORE_ITEMS[:3]]
    reviews += [_review(u, "B00CASCADE", T0 + 11, 5.0) for u in CORE_USERS[:4]]
    reviews += [_review("ACASCADEUSER", i, T0 + 13, 5.0) for i in [*CORE_ITEMS[:3], "B00CASCADE", "B00NOMETA"]]
    metas = [
        _meta(CORE_ITEMS[0], "Herbivore Sea Mist\tTexturizing  Salt Spray", ["Beauty & Personal Care", "Hair Care"]),
        _meta(CORE_ITEMS[1], "Brush", ["Tools | Accessories", "Tools | Accessories", " "]),
        _meta(CORE_ITEMS[2], "Lotion", []),
        _meta(CORE_ITEMS[3], "Soap"),  # no categories field
        _meta(CORE_ITEMS[4], "Beauty Calendar (2019)", ["Calendars"]),
        _meta("B00CASCADE", "Cascade", ["Hair Care"]),
        _meta("B00NEVERREVIEWED", "Unreviewed", ["Hair Care"]),
    ]

    def jsonl(lines: list[dict]) -> bytes:
        # mtime=0: the same bytes on every call (a call in the next second would differ in the header)
        return gzip.compress("".join(json.dumps(line) + "\n" for line in lines).encode(), mtime=0)

    return jsonl(reviews), jsonl(metas)


@pytest.fixture()
def amazon_files(tmp_path):
    reviews, meta = amazon_fixture()
    (tmp_path / "All_Beauty.jsonl.gz").write_bytes(reviews)
    (tmp_path / "meta_All_Beauty.jsonl.gz").write_bytes(meta)
    return {name: (tmp_path / name).as_uri() for name in ("All_Beauty.jsonl.gz", "meta_All_Beauty.jsonl.gz")}


def test_amazon_reviews_become_a_5_core_with_titles(tmp_path, amazon_files):
    home = tmp_path / "home"
    fetch_dataset("amazon2023-all-beauty", home, urls=amazon_files)
    ds = load_dataset("amazon2023-all-beauty", home, download=False)
    inter = ds.interactions
    assert sorted(inter.users.ids) == CORE_USERS and sorted(inter.items.ids) == CORE_ITEMS
    assert len(inter) == 25
    df = inter.to_dataframe().set_index(["user_id", "item_id"])
    first = df.loc[(CORE_USERS[0], CORE_ITEMS[0])]  # of two reviews, the earlier (not the first in the file)
    assert first["weight"] == 1.0 and first["timestamp"] == pytest.approx((T0 + 1000) / 1000, abs=1e-6)
    assert df["timestamp"].iloc[1] == pytest.approx((T0 + 2000) / 1000, abs=1e-6)  # ms -> s, ms kept
    assert ds.catalog.item(CORE_ITEMS[0]) == {
        "title": "Herbivore Sea Mist Texturizing Salt Spray",
        "year": "",
        "genres": ("Beauty & Personal Care", "Hair Care"),
    }
    assert ds.catalog.item(CORE_ITEMS[1])["genres"] == ("Tools / Accessories",)
    assert ds.catalog.item(CORE_ITEMS[2])["genres"] == () and ds.catalog.item(CORE_ITEMS[3])["genres"] == ()
    assert ds.catalog.item(CORE_ITEMS[4])["title"] == "Beauty Calendar (2019)"  # product titles are kept whole
    assert len(ds.catalog) == 5


def test_amazon_5_core_drops_what_it_should(tmp_path, amazon_files):
    directory = fetch_dataset("amazon2023-all-beauty", tmp_path / "home", urls=amazon_files)
    stats = json.loads((directory / "manifest.json").read_text())["stats"]
    assert stats == {
        "reviews": 38,
        "repeated_reviews_dropped": 1,
        "reviews_of_items_without_title_dropped": 1,  # B00NOMETA has no metadata line
        "k_core": 5,
        "rows_dropped_by_k_core": 11,  # AFEWREVIEWS (3), then ACASCADEUSER (4), then B00CASCADE (4)
        "rows": 25,
        "users": 5,
        "items": 5,
    }


def test_amazon_without_published_checksum_records_and_warns(tmp_path, amazon_files, caplog):
    home = tmp_path / "home"
    with caplog.at_level(logging.WARNING, logger="hybrid_rec.data.datasets"):
        directory = fetch_dataset("amazon2023-all-beauty", home, urls=amazon_files)
    reviews, meta = amazon_fixture()
    downloads = {d["file"]: d for d in json.loads((directory / "manifest.json").read_text())["downloads"]}
    assert downloads["All_Beauty.jsonl.gz"]["sha256"] == _sha256(reviews)
    assert downloads["meta_All_Beauty.jsonl.gz"]["sha256"] == _sha256(meta)
    assert {d["checked_against"] for d in downloads.values()} == {"nothing: the source publishes no checksum"}
    warned = [r.getMessage() for r in caplog.records if "publishes no checksum" in r.getMessage()]
    assert len(warned) == 2 and f"--sha256 All_Beauty.jsonl.gz={_sha256(reviews)}" in warned[0]


def test_amazon_pinned_sha256_is_enforced(tmp_path, amazon_files, monkeypatch):
    reviews, meta = amazon_fixture()
    pins = {"All_Beauty.jsonl.gz": _sha256(reviews), "meta_All_Beauty.jsonl.gz": "a" * 64}
    home = tmp_path / "home"
    with pytest.raises(DataError, match="checksum mismatch.*not the file whose SHA-256 you pinned"):
        fetch_dataset("amazon2023-all-beauty", home, urls=amazon_files, sha256=pins)
    assert not (home / "datasets" / "amazon2023-all-beauty").exists() and _no_staging_left(home)
    pins["meta_All_Beauty.jsonl.gz"] = _sha256(meta)
    directory = fetch_dataset("amazon2023-all-beauty", home, urls=amazon_files, sha256=pins)

    downloads = []

    def offline(url, dest, timeout):
        downloads.append(url)
        raise OSError("offline")

    monkeypatch.setattr(datasets.download, "download", offline)
    assert fetch_dataset("amazon2023-all-beauty", home, sha256=pins) == directory
    assert downloads == []  # the verified cache is the pinned files: nothing is downloaded
    with pytest.raises(DataError, match="could not fetch"):  # another pin: the cached copy is not that file
        fetch_dataset("amazon2023-all-beauty", home, sha256={"All_Beauty.jsonl.gz": "b" * 64})
    assert downloads and (directory / "manifest.json").is_file()  # tried; the cached copy is left as it was
    with pytest.raises(ConfigError, match="give the sha256 per file"):
        fetch_dataset("amazon2023-all-beauty", home, sha256="b" * 64)
    with pytest.raises(ConfigError, match="not 64 hexadecimal"):
        fetch_dataset("amazon2023-all-beauty", home, sha256={"All_Beauty.jsonl.gz": "xyz"})


def test_amazon_corrupted_cache_and_bad_lines(tmp_path, amazon_files):
    home = tmp_path / "home"
    directory = fetch_dataset("amazon2023-all-beauty", home, urls=amazon_files)
    with open(directory / "All_Beauty.inter", "a") as fh:
        fh.write("AUSER1XYZ\tB00ITEM9\t5\t1.0\n")
    with pytest.raises(DataError, match="failed verification"):
        load_dataset("amazon2023-all-beauty", home, download=False)
    broken = tmp_path / "broken.jsonl.gz"
    broken.write_bytes(gzip.compress(b'{"user_id": "A", "parent_asin": "B", "timestamp": 1, "rating": 5}\n{oops\n'))
    with pytest.raises(DataError, match=r"All_Beauty.jsonl.gz, line 2: not JSON"):
        fetch_dataset(
            "amazon2023-all-beauty", tmp_path / "other", urls={**amazon_files, "All_Beauty.jsonl.gz": broken.as_uri()}
        )
    truncated = tmp_path / "truncated.jsonl.gz"
    truncated.write_bytes(amazon_fixture()[0][:-20])
    with pytest.raises(DataError, match="not a complete gzip file"):
        fetch_dataset(
            "amazon2023-all-beauty",
            tmp_path / "other",
            urls={**amazon_files, "All_Beauty.jsonl.gz": truncated.as_uri()},
        )
    assert not (tmp_path / "other" / "datasets" / "amazon2023-all-beauty").exists()


def test_one_registry_lists_every_dataset():
    names = {
        "movielens-100k",
        "movielens-1m",
        "movielens-20m",
        "movielens-latest-small",
        "amazon2023-all-beauty",
        "amazon2023-video-games",
        "amazon2023-sports-and-outdoors",
    }
    assert set(REGISTERED) == names
    with pytest.warns(DeprecationWarning, match="REGISTERED"):  # the old tables: views of the one registry
        assert datasets.DATASETS["movielens-1m"] == REGISTERED["movielens-1m"].load
    with pytest.warns(DeprecationWarning):
        assert set(datasets.FETCHERS) == names
    assert REGISTERED["amazon2023-video-games"].files[1].urls[0] == (
        "https://datarepo.eng.ucsd.edu/mcauley_group/data/amazon_2023/raw/meta_categories/meta_Video_Games.jsonl.gz"
    )


# ------------------------------------------------------------------------------ k-core


def _inter(pairs: list[tuple[int, int]]) -> Interactions:
    frame = pd.DataFrame(pairs, columns=["user_id", "item_id"])
    frame["timestamp"] = np.arange(len(pairs))
    return Interactions.from_dataframe(frame)


def _reference_k_core(pairs: list[tuple[int, int]], k: int) -> list[int]:
    """The k-core's row positions, by the definition (drop rows of any user or item under k, repeat)."""
    rows = list(range(len(pairs)))
    while True:
        users = pd.Series([pairs[r][0] for r in rows]).value_counts()
        items = pd.Series([pairs[r][1] for r in rows]).value_counts()
        kept = [r for r in rows if users[pairs[r][0]] >= k and items[pairs[r][1]] >= k]
        if kept == rows:
            return rows
        rows = kept


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7)), min_size=1, max_size=80), st.integers(1, 5))
def test_k_core_properties(pairs, k):
    inter = _inter(pairs)
    core = k_core(inter, k)
    if len(core):
        assert np.bincount(core.user).min() >= k and np.bincount(core.item).min() >= k
    assert core.n_users == len(np.unique(core.user)) and core.n_items == len(np.unique(core.item))  # compact maps
    again = k_core(core, k)
    assert again.to_dataframe().equals(core.to_dataframe())  # idempotent
    expected = _reference_k_core(pairs, k)
    assert core.to_dataframe()["timestamp"].tolist() == [float(r) for r in expected]  # exactly the k-core rows


def test_k_core_iterates_until_stable_and_keeps_id_order():
    # u9 has 2 rows; dropping it leaves item 30 with 1 row, which then takes u3 below 2
    pairs = [(1, 10), (1, 20), (2, 10), (2, 20), (3, 20), (3, 30), (9, 30), (9, 40)]
    core = k_core(_inter(pairs), 2)
    assert core.to_dataframe()[["user_id", "item_id"]].values.tolist() == [[1, 10], [1, 20], [2, 10], [2, 20]]
    assert list(core.users.ids) == [1, 2] and core.meta["k_core"] == 2
    assert k_core_mask(np.array([0, 0, 1]), np.array([0, 1, 0]), 1).all()
    with pytest.raises(ConfigError):
        k_core_mask(np.array([0]), np.array([0]), 0)


# ------------------------------------------------------------------------------ the real sources


@pytest.mark.network
def test_real_movielens_1m(tmp_path):
    ds = load_dataset("movielens-1m", tmp_path)
    inter = ds.interactions
    assert (inter.n_users, inter.n_items, len(inter)) == (6040, 3706, 1_000_209)
    assert ds.catalog.describe(1) == "Toy Story (1995); Animation, Children's, Comedy"


@pytest.mark.network
def test_real_movielens_latest_small(tmp_path):
    ds = load_dataset("movielens-latest-small", tmp_path)
    inter = ds.interactions
    assert (inter.n_users, inter.n_items, len(inter)) == (610, 9724, 100_836)
    assert ds.catalog.describe(1) == "Toy Story (1995); Adventure, Animation, Children, Comedy, Fantasy"


@pytest.mark.network
@pytest.mark.slow
def test_real_movielens_20m(tmp_path):
    ds = load_dataset("movielens-20m", tmp_path)
    inter = ds.interactions
    assert (inter.n_users, inter.n_items, len(inter)) == (138_493, 26_744, 20_000_263)


@pytest.mark.network
@pytest.mark.slow
@pytest.mark.parametrize("name", ["amazon2023-all-beauty", "amazon2023-video-games", "amazon2023-sports-and-outdoors"])
def test_real_amazon2023(tmp_path, name):
    ds = load_dataset(name, tmp_path)
    inter = ds.interactions
    assert np.bincount(inter.user).min() >= 5 and np.bincount(inter.item).min() >= 5
    assert all(ds.catalog.item(i)["title"] for i in inter.items.ids[:100])
