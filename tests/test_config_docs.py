"""Every config field says what it is: `Field(description=...)` shows in the JSON schema and in /docs."""

from __future__ import annotations

import importlib
import typing
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel

import hybrid_rec
from hybrid_rec.batch import BatchConfig
from hybrid_rec.config import StrictModel
from hybrid_rec.errors import MissingExtraError
from hybrid_rec.evaluate.compare import CompareConfig
from hybrid_rec.evaluate.methods import METHODS
from hybrid_rec.feedback.events import FeedbackConfig
from hybrid_rec.feedback.simulate import SimulateConfig
from hybrid_rec.feedback.updater import UpdaterConfig
from hybrid_rec.pipeline import TrainConfig

PACKAGE = Path(hybrid_rec.__file__).parent
OPTIONAL = {"fastapi", "uvicorn", "ray"}  # extras: a module that needs one is skipped when it is absent

# What a TOML file or a constructor call configures: the top-level configs and every method's config.
TOP_LEVEL: list[type[BaseModel]] = [
    CompareConfig,
    TrainConfig,
    SimulateConfig,
    BatchConfig,
    UpdaterConfig,
    FeedbackConfig,
    *(spec.config for spec in METHODS.values()),
]


def _import_all() -> None:
    """Import every module of the package (``feedback/`` has no ``__init__``, so walk the files)."""
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        try:
            importlib.import_module(name)
        except MissingExtraError:
            continue
        except ModuleNotFoundError as exc:
            if (exc.name or "").split(".")[0] not in OPTIONAL:
                raise


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _models_in(annotation: object) -> Iterator[type[BaseModel]]:
    """Pydantic models inside a field's type: ``X``, ``X | None``, ``list[X]``, ``dict[str, X]``, ..."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in typing.get_args(annotation):
        yield from _models_in(arg)


def reachable(roots: list[type[BaseModel]]) -> list[type[BaseModel]]:
    """`roots` and every model their fields hold, recursively, in first-seen order."""
    seen: dict[type[BaseModel], None] = {}
    todo = list(roots)
    while todo:
        model = todo.pop(0)
        if model in seen:
            continue
        seen[model] = None
        for field in model.model_fields.values():
            todo.extend(_models_in(field.annotation))
    return list(seen)


def undocumented(models: list[type[BaseModel]]) -> list[str]:
    return [
        f"{m.__module__}.{m.__name__}.{name}"
        for m in models
        for name, field in m.model_fields.items()
        if not (field.description or "").strip()
    ]


def test_walk_finds_nested_configs():
    found = {m.__name__ for m in reachable(TOP_LEVEL)}
    # nested through fields, lists (Template), optionals (CompareConfig.candidates) and subclasses
    assert {"LMConfig", "TrainerConfig", "Template", "IndexConfig", "ColumnMapping", "SyntheticConfig"} <= found
    assert {"PopularityConfig", "FaissKNNConfig", "HybridConfig", "SimulationConfig"} <= found


def test_every_reachable_config_field_is_documented():
    missing = undocumented(reachable(TOP_LEVEL))
    assert not missing, "add Field(description=...) to: " + ", ".join(missing)


def test_every_strict_model_in_the_package_is_documented():
    """A config class nobody references yet must be documented too (a new undocumented field fails here)."""
    _import_all()
    ours = {c for c in _subclasses(StrictModel) if c.__module__.startswith("hybrid_rec.")}  # not tests' own
    models = reachable(sorted(ours, key=lambda c: f"{c.__module__}.{c.__qualname__}"))
    assert len(models) >= 25
    missing = undocumented(models)
    assert not missing, "add Field(description=...) to: " + ", ".join(missing)


def test_descriptions_reach_the_json_schema():
    schema = CompareConfig.model_json_schema()
    assert schema["properties"]["methods"]["description"]
    assert schema["$defs"]["LeaveLastOutSplitConfig"]["properties"]["kind"]["description"]


def test_request_bodies_are_documented_in_openapi():
    serve = pytest.importorskip("hybrid_rec.serve", exc_type=ImportError)
    bodies = [serve.RecommendRequest, serve.RerankRequest, serve.FeedbackRequest, serve.ServeConfig]
    assert not undocumented(reachable(bodies))
    props = serve.RecommendRequest.model_json_schema()["properties"]
    assert "a comedy" in props["request"]["description"]
