"""Shared fixtures: tiny data with known right answers, built offline."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import Phase, settings

from hybrid_rec.data import Interactions, make_synthetic
from hybrid_rec.rerank.trainer import Trainer
from tests.factory import TinyModel, stream_split, train_tiny
from tests.servers import postgres_server, redis_server  # noqa: F401  (a fixture: real servers for the tests that need one)

# Under `make mutate` (benchmarks/mutate.py sets this), a property test stops at its first failing
# example instead of shrinking it: a mutant is killed either way, shrinking only spends its CPU budget.
if os.environ.get("HYBRID_REC_MUTATION"):
    settings.register_profile("mutation", phases=[Phase.explicit, Phase.reuse, Phase.generate])
    settings.load_profile("mutation")


@pytest.fixture(scope="session", autouse=True)
def _installed_stance_model() -> None:
    """The one exception to an isolated home: the installation's stance model, when it has the default one, is *read*
    (checksummed, never written) instead of built again in the run's own cache. It is built once per installation, as
    for users (about 15 minutes on 2 cores); without one, the first test that needs it builds it."""
    from hybrid_rec.data.datasets import data_home
    from hybrid_rec.text import minilm_available

    root = data_home()  # before `_isolated_home`: the user's own cache root
    if not minilm_available() or not any(root.glob("models/stance-*/config.json")):
        return
    from hybrid_rec.text.minilm import MiniLMEncoder, model_dir
    from hybrid_rec.text.stance import reader
    from hybrid_rec.text.stance.model import StanceConfig

    key = reader._key(StanceConfig())
    if key in reader._BUILT or not (root / "models" / f"stance-{key}" / "config.json").is_file():
        return
    if not (model_dir(root) / "config.json").is_file():
        return
    installed = reader.StanceReader.load(root / "models" / f"stance-{key}", MiniLMEncoder(cache_root=root))
    reader._BUILT[key] = (installed.head, installed.saved)


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the user's real dataset cache."""
    monkeypatch.setenv("HYBRID_REC_HOME", str(tmp_path_factory.mktemp("hybrid_rec_home")))


@pytest.fixture(scope="session")
def synthetic():
    return make_synthetic(n_users=300, n_items=120, n_clusters=4, interactions_per_user=15, seed=7)


@pytest.fixture()
def checkerboard() -> Interactions:
    """Even users like even items, odd users like odd items (implicit's checkerboard idea).

    Each user misses one item of their parity, so the right recommendation is known.
    """
    rows = []
    t = 0
    for u in range(20):
        for i in range(20):
            if u % 2 == i % 2 and i != (u + 2) % 20:
                rows.append((f"user{u}", f"item{i}", t))
                t += 1
    return Interactions.from_dataframe(pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"]))


def frame(rows: list[tuple], columns: tuple[str, ...] = ("user_id", "item_id", "timestamp")) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(columns))


@pytest.fixture()
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


TRAINING_FIXTURES = frozenset({"tiny_models", "trained_reranker", "ddp_runs"})
"""The fixtures that train a GPT-2 reranker (`Trainer.train`): the shared factory below, and the two
that need their own training (tests/rerank/test_reranker.py: a wider LM trained for 6 epochs on its own
data; tests/rerank/test_distributed.py: the same run in one process and in a process group).

The rule of the fast lane: a test that trains is marked `slow`, either because its fixture closure
holds one of these (`pytest_collection_modifyitems`) or, training in its own body, by
`@pytest.mark.slow`; `make test-fast` runs the rest (-m "not slow and not network").
`_no_training_in_the_fast_lane` keeps the rule true: a test not marked slow that trains fails."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if TRAINING_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _no_training_in_the_fast_lane(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Outside `slow` tests `Trainer.train` fails the test, saying what to mark."""
    if request.node.get_closest_marker("slow") is None:
        node = request.node.nodeid

        def refuse(*args: object, **kwargs: object) -> None:
            pytest.fail(f"{node} trains a model: mark it @pytest.mark.slow (or list its fixture in TRAINING_FIXTURES)")

        monkeypatch.setattr(Trainer, "train", refuse)


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., TinyModel]:
    """The factory of the shared tiny trained models: `tiny_models(dataset="small", variant="default")`
    trains `VARIANTS[variant]` on `DATASETS[dataset]` (tests/factory.py) the first time a test asks,
    saves it, and hands the same `TinyModel` to every later test. Load your own copy
    (`TinyModel.load`); copy the directory or `publish` it into a store before changing files."""
    made: dict[tuple[str, str], TinyModel] = {}

    def get(dataset: str = "small", variant: str = "default") -> TinyModel:
        if (dataset, variant) not in made:
            out = tmp_path_factory.mktemp(f"tiny-{dataset}-{variant}") / "model"
            made[dataset, variant] = train_tiny(dataset, variant, out)
        return made[dataset, variant]

    return get


@pytest.fixture(scope="session")
def tiny_store(tiny_models) -> Path:
    """The saved shared tiny model (tests/factory.py's `TINY` on the "small" synthetic catalog with genres)."""
    return tiny_models().path


@pytest.fixture(scope="session")
def stream(tiny_models):
    """The tiny pipeline trained on the first 80% of the "stream" synthetic data, the rest as raw
    events (and one of a user the model does not know), and the trained rows' total weight."""
    trained = tiny_models("stream")
    ds = trained.data
    rest = ds.interactions.subset(ds.interactions.timestamp >= stream_split(ds).info["test_start"])
    now = float(ds.interactions.timestamp.max()) + 10
    events = [
        {"event_id": f"ev{k}", "user_id": u, "item_id": i, "type": "click", "timestamp": float(t)}
        for k, (u, i, t) in enumerate(
            zip(rest.users.to_external(rest.user), rest.items.to_external(rest.item), rest.timestamp, strict=True)
        )
    ]
    events.append(
        {"event_id": "new-user-1", "user_id": "stranger", "item_id": "i1", "type": "purchase", "timestamp": now - 5}
    )
    return trained.load(), events, float(trained.rows.weight.sum())
