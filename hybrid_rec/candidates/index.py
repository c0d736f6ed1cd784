"""FAISS index over item vectors, keyed by stable int64 item ids.

``flat`` and ``hnsw`` wrap FAISS's index in `faiss.IndexIDMap2`; ``ivf`` keeps the ids in its
inverted lists (with a hash-table direct map for removal and reconstruction), because
`IndexIDMap2` cannot remove from an IVF index.

Kinds: ``flat`` (exact), ``ivf`` (inverted lists: ``nlist`` cells, ``nprobe`` searched) and
``hnsw`` (graph: ``m`` links, ``ef_search``). Metric ``ip`` (inner product, for ALS scores) or
``cosine`` (vectors normalised on the way in). Vectors can be added, removed and updated. FAISS's
HNSW cannot delete; here `remove` and `update` on an HNSW index **rebuild** the graph from the
remaining vectors (O(n log n)), so prefer ``flat``/``ivf`` for catalogs that change often.

HNSW graphs assume a metric, which inner product is not (recall@100 fell to ~0.5 on ALS factors).
An ``hnsw`` index with metric ``ip`` therefore stores ``[v, sqrt(M^2 - |v|^2)]`` in an L2 graph and
queries ``[q, 0]`` (Bachrach et al. 2014): L2 order then equals inner-product order, and the inner
product is recovered exactly from the distance. ``M`` is the largest norm seen (with headroom); a
longer vector added later triggers a rebuild.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal, cast

import faiss
import numpy as np
import scipy.sparse as sp
from pydantic import Field

from hybrid_rec.config import StrictModel
from hybrid_rec.errors import ConfigError, DataError, NotFittedError, UnknownIdError
from hybrid_rec.persist import component_dir, require


class IndexConfig(StrictModel):
    """Which FAISS index to build and how to search it (``threads``: FAISS OpenMP threads, 0 = default)."""

    kind: Literal["flat", "ivf", "hnsw"] = Field(
        "flat", description="'flat' (exact), 'ivf' (inverted lists, approximate) or 'hnsw' (graph, approximate)."
    )
    metric: Literal["ip", "cosine"] = Field(
        "ip", description="Similarity: inner product ('ip', for ALS scores) or 'cosine' (vectors normalised)."
    )
    nlist: int = Field(1024, gt=0, description="ivf: number of inverted lists (needs at least this many items).")
    nprobe: int = Field(32, gt=0, description="ivf: lists searched per query (higher: better recall, slower).")
    m: int = Field(32, gt=1, description="hnsw: graph neighbours per node (higher: better recall, more memory).")
    ef_construction: int = Field(200, gt=0, description="hnsw: candidate list size while building the graph.")
    ef_search: int = Field(256, gt=0, description="hnsw: candidate list size per query (higher: better recall).")
    threads: int = Field(0, ge=0, description="FAISS OpenMP threads (0 = FAISS's default).")


class ItemIndex:
    """Vectors of items under int64 ids; `search` returns the best ids per query, best first."""

    def __init__(self, dim: int, config: IndexConfig | None = None, **overrides: object) -> None:
        if dim <= 0:
            raise ConfigError(f"ItemIndex: dim must be positive, got {dim}")
        base = config or IndexConfig()
        self.config = IndexConfig.from_dict({**base.model_dump(), **overrides}, source="IndexConfig")
        self.dim = dim
        self._mips_l2 = self.config.kind == "hnsw" and self.config.metric == "ip"
        self._max_norm = 0.0
        self._index = self._empty()

    # ------------------------------------------------------------------ building
    def _empty(self) -> faiss.Index:
        cfg, metric = self.config, faiss.METRIC_INNER_PRODUCT
        self._keys = np.empty(0, np.int64)
        inner: faiss.Index
        if cfg.kind == "ivf":
            self._quantizer = faiss.IndexFlatIP(self.dim)
            inner = faiss.IndexIVFFlat(self._quantizer, self.dim, cfg.nlist, metric)
            inner.nprobe = cfg.nprobe
            inner.set_direct_map_type(faiss.DirectMap.Hashtable)  # type: ignore[attr-defined]  # faiss's stub lacks DirectMap
            self._inner: faiss.Index = inner
            return inner
        if cfg.kind == "flat":
            inner = faiss.IndexFlatIP(self.dim)
        else:
            inner = faiss.IndexHNSWFlat(self.dim + self._mips_l2, cfg.m, faiss.METRIC_L2 if self._mips_l2 else metric)
            inner.hnsw.efConstruction = cfg.ef_construction
            inner.hnsw.efSearch = cfg.ef_search
        self._inner = inner  # the Python wrapper owns the inner index: keep it alive as long as the map
        return faiss.IndexIDMap2(inner)

    def _vectors(self, vectors: np.ndarray, name: str = "vectors") -> np.ndarray:
        arr = np.asarray(vectors)
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.ndim != 2 or arr.shape[1] != self.dim:
            raise DataError(f"ItemIndex: {name} must have shape (n, {self.dim}), got {arr.shape}")
        if not np.issubdtype(arr.dtype, np.floating):
            raise DataError(f"ItemIndex: {name} must be a floating-point array, got dtype {arr.dtype}")
        arr = np.ascontiguousarray(arr, dtype=np.float32)
        if not np.isfinite(arr).all():
            row = int(np.argmax(~np.isfinite(arr).all(axis=1)))
            raise DataError(f"ItemIndex: {name} row {row} contains NaN or infinity")
        if self.config.metric == "cosine":
            norms = np.linalg.norm(arr, axis=1, keepdims=True)
            arr = arr / np.where(norms > 0, norms, 1.0)
        return arr

    def _ids(self, ids: np.ndarray | list[int], n: int | None = None) -> np.ndarray:
        arr = np.asarray(ids)
        if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
            raise DataError(f"ItemIndex: ids must be a 1-d integer array, got dtype {arr.dtype}, shape {arr.shape}")
        if n is not None and len(arr) != n:
            raise DataError(f"ItemIndex: {len(arr)} ids for {n} vectors")
        if len(np.unique(arr)) != len(arr):
            raise DataError("ItemIndex: ids must be unique")
        return arr.astype(np.int64)

    def _threads(self) -> None:
        if self.config.threads:
            faiss.omp_set_num_threads(self.config.threads)

    @property
    def ids(self) -> np.ndarray:
        """The ids in the index, in insertion order."""
        return self._keys.copy()

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def __contains__(self, item_id: int) -> bool:
        return bool(np.isin(item_id, self.ids))

    def add(self, ids: np.ndarray | list[int], vectors: np.ndarray) -> None:
        """Add new ids (an id already present is an error: use `update`)."""
        vecs = self._vectors(vectors)
        keys = self._ids(ids, len(vecs))
        present = np.isin(keys, self.ids)
        if present.any():
            raise DataError(f"ItemIndex: ids already present {keys[present][:5].tolist()}; use update()")
        if self.config.kind == "ivf" and not self._inner.is_trained:
            if len(vecs) < self.config.nlist:
                raise DataError(
                    f"ItemIndex: an ivf index with nlist={self.config.nlist} needs at least that many vectors "
                    f"to train, got {len(vecs)}; lower nlist or use kind='flat'"
                )
            self._threads()
            self._inner.train(vecs)
        self._add(keys, vecs)

    def _add(self, keys: np.ndarray, vecs: np.ndarray) -> None:
        if self._mips_l2:
            norms = np.linalg.norm(vecs, axis=1)
            if len(norms) and norms.max() > self._max_norm:
                old_keys, old = self._keys, self.reconstruct(self._keys)
                self._max_norm = float(norms.max()) * 1.25  # headroom so updates rarely rebuild
                self._index = self._empty()
                if len(old_keys):
                    self._store(old_keys, old)
        self._store(keys, vecs)

    def _store(self, keys: np.ndarray, vecs: np.ndarray) -> None:
        if self._mips_l2:
            extra = np.sqrt(np.maximum(self._max_norm**2 - (vecs.astype(np.float64) ** 2).sum(axis=1), 0.0))
            vecs = np.hstack([vecs, extra[:, None]]).astype(np.float32)
        self._threads()
        self._index.add_with_ids(vecs, keys)
        self._keys = np.concatenate([self._keys, keys])

    def reconstruct(self, ids: np.ndarray | list[int]) -> np.ndarray:
        """The stored vectors of `ids` (normalised for cosine)."""
        keys = self._check_known(ids)
        if not len(keys):
            return np.empty((0, self.dim), np.float32)
        return np.vstack([self._index.reconstruct(int(k))[: self.dim] for k in keys])

    def _check_known(self, ids: np.ndarray | list[int]) -> np.ndarray:
        keys = self._ids(ids)
        missing = ~np.isin(keys, self.ids)
        if missing.any():
            raise UnknownIdError(f"ItemIndex: unknown ids {keys[missing][:5].tolist()} ({int(missing.sum())} in all)")
        return keys

    def remove(self, ids: np.ndarray | list[int]) -> None:
        """Remove ids (unknown ids are an error). HNSW: rebuilds from the remaining vectors."""
        keys = self._check_known(ids)
        if self.config.kind == "hnsw":
            keep = self.ids[~np.isin(self.ids, keys)]
            vectors = self.reconstruct(keep)
            self._index = self._empty()
            if len(keep):
                self._store(keep, vectors.astype(np.float32))
            return
        self._index.remove_ids(
            faiss.IDSelectorArray(keys) if self.config.kind == "ivf" else faiss.IDSelectorBatch(keys)
        )
        self._keys = self._keys[~np.isin(self._keys, keys)]

    def update(self, ids: np.ndarray | list[int], vectors: np.ndarray) -> None:
        """Replace the vectors of existing ids."""
        vecs = self._vectors(vectors)
        keys = self._check_known(ids)
        if len(keys) != len(vecs):
            raise DataError(f"ItemIndex: {len(keys)} ids for {len(vecs)} vectors")
        self.remove(keys)
        self._add(keys, vecs)

    # ------------------------------------------------------------------ search
    def search(
        self, queries: np.ndarray, k: int, exclude: sp.csr_matrix | list[np.ndarray] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top `k` ids and scores per query row, best first.

        `exclude` (a csr matrix whose row r's column indices are ids, or a list of id arrays) names
        ids that must not be returned for that row; the search over-fetches and retries so that
        exclusions never shorten a list while enough other ids exist (an IVF index probes more cells
        on retry). FAISS's -1 labels are dropped; short rows are padded with id -1 and score NaN.
        """
        if k <= 0:
            raise ConfigError(f"k must be positive, got {k}")
        if len(self) == 0:
            raise NotFittedError("ItemIndex is empty; add vectors first")
        q = self._vectors(queries, "queries")
        n = len(q)
        if exclude is None:
            excl = [np.empty(0, np.int64)] * n
        elif sp.issparse(exclude):
            csr = sp.csr_matrix(exclude)
            if csr.shape[0] != n:
                raise DataError(f"ItemIndex: exclude has {csr.shape[0]} rows for {n} queries")
            excl = [csr.indices[csr.indptr[r] : csr.indptr[r + 1]] for r in range(n)]
        else:
            excl = [np.asarray(e, np.int64) for e in exclude]
            if len(excl) != n:
                raise DataError(f"ItemIndex: exclude has {len(excl)} rows for {n} queries")
        out_ids = np.full((n, k), -1, np.int64)
        out_scores = np.full((n, k), np.nan, np.float32)
        pending = np.arange(n)
        fetch = min(len(self), k + max((len(e) for e in excl), default=0))
        nprobe = self.config.nprobe
        self._threads()
        while len(pending):
            if self.config.kind == "ivf":  # a short list from few probed cells: probe more on retry
                params = faiss.SearchParametersIVF(nprobe=min(nprobe, self.config.nlist))  # type: ignore[call-arg]  # faiss's stub lacks the kwargs
                scores, labels = self._index.search(q[pending], fetch, params=params)
            elif self._mips_l2:
                query = np.hstack([q[pending], np.zeros((len(pending), 1), np.float32)])
                dist, labels = self._index.search(query, fetch)
                scores = ((q[pending].astype(np.float64) ** 2).sum(axis=1)[:, None] + self._max_norm**2 - dist) / 2
            else:
                scores, labels = self._index.search(q[pending], fetch)
            short = []
            for row, r in enumerate(pending):
                ok = labels[row] >= 0
                if len(excl[r]):
                    ok &= ~np.isin(labels[row], excl[r])
                got = labels[row][ok][:k]
                out_ids[r, : len(got)] = got
                out_scores[r, : len(got)] = scores[row][ok][:k]
                exhausted = fetch >= len(self) and (self.config.kind != "ivf" or nprobe >= self.config.nlist)
                if len(got) < k and not exhausted:
                    short.append(r)
            pending = np.asarray(short, dtype=np.int64)
            fetch = min(len(self), fetch * 2)
            nprobe *= 2
        return out_ids, out_scores

    # ------------------------------------------------------------------ persistence
    def save(self, directory: str | Path) -> None:
        """``index.json`` (config, dim), ``index.faiss`` (FAISS's own format), ``index_ids.npy``."""
        directory = component_dir(directory)
        meta = {"dim": self.dim, "config": self.config.model_dump(), "max_norm": self._max_norm}
        (directory / "index.json").write_text(json.dumps(meta))
        faiss.write_index(self._index, str(directory / "index.faiss"))
        np.save(directory / "index_ids.npy", self._keys, allow_pickle=False)

    @classmethod
    def load(cls, directory: str | Path) -> ItemIndex:
        directory = require(directory, "index.json", "index.faiss", "index_ids.npy", what="ItemIndex")
        meta = json.loads((directory / "index.json").read_text())
        self = cls(int(meta["dim"]), IndexConfig.from_dict(meta["config"], source=str(directory / "index.json")))
        index = faiss.read_index(str(directory / "index.faiss"))
        keys = np.load(directory / "index_ids.npy", allow_pickle=False)
        self._max_norm = float(meta.get("max_norm", 0.0))
        if index.d != self.dim + self._mips_l2 or index.ntotal != len(keys):
            raise DataError(f"{directory}: index.faiss does not match index.json / index_ids.npy")
        inner: faiss.Index
        if self.config.kind == "ivf":  # faiss's stub types downcast_index as returning the base Index
            inner = cast(faiss.IndexIVFFlat, faiss.downcast_index(index))
            inner.set_direct_map_type(faiss.DirectMap.Hashtable)  # type: ignore[attr-defined]  # faiss's stub lacks DirectMap
            inner.nprobe = self.config.nprobe
        else:
            inner = faiss.downcast_index(cast(faiss.IndexIDMap2, index).index)
            if self.config.kind == "hnsw":
                cast(faiss.IndexHNSWFlat, inner).hnsw.efSearch = self.config.ef_search
        self._index, self._inner, self._keys = index, inner, keys.astype(np.int64)
        return self
