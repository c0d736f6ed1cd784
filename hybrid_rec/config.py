"""Configuration base: strict pydantic models that round-trip through TOML."""

from __future__ import annotations

import difflib
import sys
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import tomli_w
from pydantic import BaseModel, ConfigDict, ValidationError

from hybrid_rec.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

M = TypeVar("M", bound="StrictModel")


class StrictModel(BaseModel):
    """Base of every component config: unknown keys are errors, values are validated on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    @classmethod
    def from_dict(cls: type[M], data: dict[str, Any], *, source: str = "config") -> M:
        """Validate `data`, turning pydantic's error into a `ConfigError` that names each bad field."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(f"{source}: {format_validation_error(exc)}") from exc

    @classmethod
    def from_toml(cls: type[M], path: str | Path) -> M:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"config file {path} not found")
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: invalid TOML ({exc})") from exc
        return cls.from_dict(data, source=str(path))

    @classmethod
    def check_path(cls, path: str, root: str = "config") -> None:
        """`path` names a field inside this model (``candidates.als.factors``, or a key of a table field
        such as ``candidates.blend.weights.als``); a `ValueError` says what is wrong and the fix."""
        node: Any = cls
        parts = path.split(".")
        for i, key in enumerate(parts):
            where = ".".join(parts[:i]) or root
            node = _plain(node)
            if isinstance(node, type) and issubclass(node, BaseModel):
                fields = list(node.model_fields)
                if key not in fields:
                    close = difflib.get_close_matches(key, fields, n=1)
                    fix = f"did you mean {'.'.join([*parts[:i], close[0]])!r}? " if close else ""
                    raise ValueError(
                        f"{path!r}: {where} has no field {key!r}; {fix}a key is a dotted path inside {root} "
                        f"({where} has: {', '.join(fields)})"
                    )
                node = node.model_fields[key].annotation
            elif typing.get_origin(node) is dict:
                node = typing.get_args(node)[1]
            else:
                raise ValueError(f"{path!r}: {where} is a single value, not a table; set {where!r} itself")

    def with_params(self: M, params: Mapping[str, Any], *, source: str = "params") -> M:
        """A validated copy with each dotted path of `params` set (``{"candidates.als.factors": 64}``;
        a table value is merged into a table field); a `ConfigError` naming `source` otherwise."""
        data = self.model_dump()
        for path, value in params.items():
            *parents, leaf = path.split(".")
            node = data
            for key in parents:
                if not isinstance(node.get(key), dict):
                    node[key] = {}
                node = node[key]
            node[leaf] = _merged(node.get(leaf), value)
        return type(self).from_dict(data, source=source)

    def to_toml(self) -> str:
        """TOML text that `from_toml` reads back into an equal config (None values are omitted)."""
        return tomli_w.dumps(self.model_dump(mode="json", exclude_none=True))


def format_validation_error(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "<root>"
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling against the documented options)"
        parts.append(f"{loc}: {msg}")
    return "; ".join(parts)


def _plain(annotation: Any) -> Any:
    """`annotation` without ``| None``."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        rest = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(rest) == 1:
            return rest[0]
    return annotation


def _merged(old: Any, new: Any) -> Any:
    if isinstance(old, dict) and isinstance(new, dict):
        return {**old, **{k: _merged(old.get(k), v) for k, v in new.items()}}
    return new
