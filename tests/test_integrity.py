"""Saved models verify themselves: every file's SHA-256 is recorded at save time and checked at load."""

from __future__ import annotations

import json
import shutil

import pytest

from hybrid_rec.errors import DataError
from hybrid_rec.pipeline import HybridPipeline


@pytest.fixture(scope="module")
def saved(tiny_store):
    return tiny_store  # read only here; `copy` is the one to damage


@pytest.fixture()
def copy(saved, tmp_path):
    return shutil.copytree(saved, tmp_path / "model")


def test_a_saved_pipeline_records_every_file_and_loads(saved):
    manifest = json.loads((saved / "checksums.json").read_text())
    files = set(manifest["files"])
    assert {"pipeline.json", "reranker/model/model.safetensors", "candidates/mips/index.faiss"} <= files
    assert files == {p.relative_to(saved).as_posix() for p in saved.rglob("*") if p.is_file()} - {"checksums.json"}
    HybridPipeline.load(saved)


@pytest.mark.parametrize(
    "name",
    [
        "reranker/model/model.safetensors",
        "candidates/mips/index.faiss",
        "candidates/als/als.npz",
        "reranker/tokenizer/tokenizer.json",
        "catalog_items.parquet",
        "pipeline.json",
        "fusion.json",
    ],
)
@pytest.mark.parametrize("damage", ["flip", "truncate", "delete"])
def test_a_damaged_file_is_named_at_load(copy, name, damage):
    path = copy / name
    data = bytearray(path.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0x01
        path.write_bytes(bytes(data))
    elif damage == "truncate":
        path.write_bytes(bytes(data[: len(data) // 2]))
    else:
        path.unlink()
    with pytest.raises(DataError, match=name.rsplit("/", 1)[-1]) as err:
        HybridPipeline.load(copy)
    assert ("missing" if damage == "delete" else "checksum mismatch") in str(err.value)


def test_a_damaged_manifest_is_a_clear_error(copy):
    (copy / "checksums.json").write_text("{not json")
    with pytest.raises(DataError, match="checksum manifest"):
        HybridPipeline.load(copy)
