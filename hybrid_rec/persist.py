"""One save/load helper for components: a JSON config beside arrays, never pickle.

Every component saves into its own directory: its config as JSON (a `StrictModel`, so loading
validates it), arrays as ``.npz`` read with ``allow_pickle=False``, weights as safetensors, and
tokenizer / FAISS files in their libraries' own formats. Loading a model never runs code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TypeVar

import numpy as np

from hybrid_rec.config import StrictModel
from hybrid_rec.errors import DataError

M = TypeVar("M", bound=StrictModel)


def component_dir(directory: str | Path) -> Path:
    """`directory` as a Path, created with its parents (for saving)."""
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    return path


def require(directory: str | Path, *names: str, what: str) -> Path:
    """`directory` as a Path, or a `DataError` naming the first of `names` it lacks and what it should hold."""
    path = Path(directory)
    for name in names:
        if not (path / name).is_file():
            raise DataError(f"{path}: missing {name}; not a saved {what}")
    return path


def save_config(directory: str | Path, config: StrictModel, filename: str = "config.json") -> Path:
    """Write `config` as JSON into `directory` (created); returns the directory."""
    path = component_dir(directory)
    (path / filename).write_text(config.model_dump_json(indent=2))
    return path


def load_config(directory: str | Path, cls: type[M], filename: str = "config.json", *, what: str) -> M:
    """The `cls` config saved in `directory`, validated (a missing file or bad value names the path)."""
    path = require(directory, filename, what=what) / filename
    return cls.from_dict(json.loads(path.read_text()), source=str(path))


def save_arrays(path: str | Path, **arrays: np.ndarray) -> None:
    """Arrays as one ``.npz`` (numbers and unicode only: object arrays would need pickle)."""
    np.savez(path, allow_pickle=False, **arrays)  # an object array fails here, not at load time


def load_arrays(path: str | Path) -> dict[str, np.ndarray]:
    """Every array of an ``.npz``, read without pickle."""
    with np.load(path, allow_pickle=False) as z:
        return {name: z[name] for name in z.files}
