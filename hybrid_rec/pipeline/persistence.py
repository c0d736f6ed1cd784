"""A fitted pipeline on disk: ``pipeline.json``, ``candidates/``, ``reranker/``, ``fusion.json``
(+ ``fusion_request.json``, ``fusion_outside.json``, ``fusion_session.json``; ``ranker.json`` + ``ranker.txt``:
the learned ranker, in LightGBM's own text format), the catalog as Parquet and a checksum manifest written last."""

from __future__ import annotations

from pathlib import Path

from hybrid_rec.candidates.generator import CandidateGenerator
from hybrid_rec.candidates.requests import RequestStage
from hybrid_rec.data.catalog import ItemCatalog
from hybrid_rec.persist import load_config, save_config, verify_checksums, write_checksums
from hybrid_rec.pipeline.config import HybridConfig
from hybrid_rec.pipeline.scoring import FittedPipeline
from hybrid_rec.rerank.fusion import LinearFusion
from hybrid_rec.rerank.ranker import LightGBMRanker
from hybrid_rec.rerank.reranker import GPT2Reranker

__all__ = ["load_fitted", "save_fitted"]


def save_fitted(directory: str | Path, config: HybridConfig, state: FittedPipeline) -> None:
    directory = save_config(directory, config, "pipeline.json")
    state.generator.save(directory / "candidates")
    state.reranker.save(directory / "reranker")
    state.fusion.save(directory / "fusion.json")
    if state.ranker is not None:
        state.ranker.save(directory / "ranker.json")
    if state.request_fusion is not None:
        state.request_fusion.save(directory / "fusion_request.json")
    if state.outside_fusion is not None:
        state.outside_fusion.save(directory / "fusion_outside.json")
    if state.session_fusion is not None:
        state.session_fusion.save(directory / "fusion_session.json")
    if state.reranker.catalog is not None:
        state.reranker.catalog.save(directory)
    write_checksums(directory)  # last: a directory with a valid manifest is complete


def load_fitted(directory: str | Path) -> tuple[HybridConfig, FittedPipeline]:
    verify_checksums(directory, what="HybridPipeline")  # before reading anything: damage is named, not parsed
    config = load_config(directory, HybridConfig, "pipeline.json", what="HybridPipeline (see `hybrid-rec train`)")
    directory = Path(directory)
    request, outside = directory / "fusion_request.json", directory / "fusion_outside.json"
    session, ranker = directory / "fusion_session.json", directory / "ranker.json"
    catalog = ItemCatalog.load(directory)
    state = FittedPipeline(
        CandidateGenerator.load(directory / "candidates"),
        GPT2Reranker.load(directory / "reranker", catalog),
        LinearFusion.load(directory / "fusion.json"),
        LinearFusion.load(request) if request.is_file() else None,
        RequestStage(config.requests, catalog),
        LinearFusion.load(outside) if outside.is_file() else None,
        LinearFusion.load(session) if session.is_file() else None,
        LightGBMRanker.load(ranker) if ranker.is_file() else None,
    )
    return config, state
