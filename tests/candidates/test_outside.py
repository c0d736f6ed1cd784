"""Outside retrievers: independent candidate lists, never an excluded item, ids mapped once."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from pydantic import TypeAdapter, ValidationError

from hybrid_rec.candidates.outside import (
    BPRRetrieverConfig,
    FileRetrieverConfig,
    FirstStageRetrieverConfig,
    ItemItemRetrieverConfig,
    PopularityRetrieverConfig,
    RetrieverConfig,
    make_retriever,
)
from hybrid_rec.errors import ConfigError, DataError

KINDS = [
    PopularityRetrieverConfig(),
    BPRRetrieverConfig(factors=8, iterations=5),
    ItemItemRetrieverConfig(similarity="cosine", neighbors=20),
    ItemItemRetrieverConfig(similarity="bm25", neighbors=20),
    FirstStageRetrieverConfig(candidates={"als": {"factors": 8, "iterations": 5}}),
]


@pytest.mark.parametrize("config", KINDS, ids=lambda c: f"{c.kind}-{getattr(c, 'similarity', '')}")
def test_each_retriever_proposes_n_unseen_unique_items(config, synthetic):
    inter = synthetic.interactions
    retriever = make_retriever(config).fit(inter)
    users = np.arange(30)
    seen = inter.to_csr("binary")[users]
    extra = np.zeros(seen.shape)
    extra[:, :5] = 1  # items nobody may be given, besides the user's own
    exclude = ((seen + extra) > 0).astype(np.float32)
    top = retriever.retrieve(users, 20, sp.csr_matrix(exclude))
    assert top.items.shape == (30, 20)
    for r in range(30):
        row = top.items[r][top.items[r] >= 0]
        assert len(row) == len(set(row)) and len(row) >= 10
        assert not set(row) & set(np.flatnonzero(exclude[r]))


def test_popularity_is_the_count_order(synthetic):
    inter = synthetic.interactions
    top = make_retriever(PopularityRetrieverConfig()).fit(inter).retrieve(np.array([0]), 5, sp.csr_matrix((1, inter.n_items)))
    counts = inter.item_counts()
    assert list(counts[top.items[0]]) == sorted(counts, reverse=True)[:5]


def test_a_file_gives_each_users_list_in_score_order_dropping_unknown_ids(tmp_path, synthetic):
    inter = synthetic.interactions
    u0, u1 = inter.users.ids[:2]
    i = inter.items.ids
    pd.DataFrame({"user_id": [u0, u0, u0, u1, "nobody", u1], "item_id": [i[3], i[4], "not-ours", i[5], i[6], i[3]],
                  "score": [0.1, 0.9, 0.5, 1.0, 1.0, 2.0]}).to_csv(tmp_path / "c.csv", index=False)  # fmt: skip
    retriever = make_retriever(FileRetrieverConfig(path=str(tmp_path / "c.csv"))).fit(inter)
    assert retriever.dropped == 2
    users = inter.users.to_internal([u0, u1])
    top = retriever.retrieve(users, 3, sp.csr_matrix((2, inter.n_items)))
    got = [inter.items.to_external(row[row >= 0]).tolist() for row in top.items]
    assert got == [[i[4], i[3]], [i[3], i[5]]]


def test_file_errors_name_the_fix(tmp_path, synthetic):
    with pytest.raises(ConfigError, match="rerank.retriever.path"):
        make_retriever(FileRetrieverConfig(path=str(tmp_path / "none.csv"))).fit(synthetic.interactions)
    pd.DataFrame({"user": [1], "item": [2]}).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(DataError, match="user_id"):
        make_retriever(FileRetrieverConfig(path=str(tmp_path / "bad.csv"))).fit(synthetic.interactions)


def test_the_config_is_one_model_per_kind():
    adapter = TypeAdapter(RetrieverConfig)
    assert isinstance(adapter.validate_python({"kind": "bpr", "factors": 16}), BPRRetrieverConfig)
    with pytest.raises(ValidationError):
        adapter.validate_python({"kind": "popularity", "factors": 16})  # an option of another kind
    with pytest.raises(ValidationError):
        adapter.validate_python({"kind": "ease"})
