"""Optional experiment tracking: `compare`, `train` and `simulate` runs logged to MLflow.

One MLflow run per command: its parameters (the config, flattened to dotted keys), its metrics
(every number of the report, flattened the same way) and its output files as artifacts. The default
store is a local SQLite database, ``runs/mlflow.db``, with artifacts beside it (MLflow's plain-file
store is deprecated); browse it with ``mlflow ui --backend-store-uri sqlite:///runs/mlflow.db``.
MLflow is an optional extra (``pip install 'hybrid_rec[track]'``): nothing else needs it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from hybrid_rec._extras import require

DEFAULT_URI = "sqlite:///runs/mlflow.db"
EXPERIMENT = "hybrid_rec"


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings as one level of dotted keys (lists are kept as values)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, name + "."))
        else:
            out[name] = value
    return out


def _metric_name(name: str) -> str:
    """MLflow metric names allow letters, digits and ``_ - . / space``: '@' becomes '_at_'."""
    return "".join(c if c.isalnum() or c in "_-./ " else "_" for c in name.replace("@", "_at_"))


def log_run(
    kind: str,
    params: Mapping[str, Any],
    results: Mapping[str, Any],
    artifacts: Iterable[Path],
    *,
    uri: str = DEFAULT_URI,
    experiment: str = EXPERIMENT,
    run_name: str | None = None,
) -> str:
    """Log one run (parameters, every finite number of `results` as a metric, the files in
    `artifacts`) and return its run id. `kind` ('compare', 'train', 'simulate') is a tag."""
    mlflow = require("mlflow", "track", "--track (MLflow experiment tracking)")
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(uri)
    client = mlflow.tracking.MlflowClient(uri)
    found = client.get_experiment_by_name(experiment)
    if found is None:
        root = Path(uri.removeprefix("sqlite:///")).parent if uri.startswith("sqlite:///") else None
        location = (root / "artifacts").resolve().as_uri() if root is not None else None
        experiment_id = client.create_experiment(experiment, artifact_location=location)
    else:
        experiment_id = found.experiment_id
    metrics = {
        _metric_name(k): float(v)
        for k, v in flatten(results).items()
        if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(float(v))
    }
    with mlflow.start_run(experiment_id=experiment_id, run_name=run_name or kind) as run:
        mlflow.set_tag("hybrid_rec.kind", kind)
        flat = {k: str(v)[:6000] for k, v in flatten(params).items()}
        items = list(flat.items())
        for start in range(0, len(items), 100):  # MLflow takes at most 100 parameters per call
            mlflow.log_params(dict(items[start : start + 100]))
        names = list(metrics)
        for start in range(0, len(names), 1000):
            mlflow.log_metrics({k: metrics[k] for k in names[start : start + 1000]})
        for path in artifacts:
            if path.is_file():
                mlflow.log_artifact(str(path))
            elif path.is_dir():
                mlflow.log_artifacts(str(path), artifact_path=path.name)
        return str(run.info.run_id)
