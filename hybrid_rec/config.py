"""Configuration base: strict pydantic models that round-trip through TOML."""

from __future__ import annotations

import sys
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
