"""`StanceReader`: the stance model built once per installation, cached, read per request.

The heads (`StanceConfig.members`, each on its own sample of the grammar's requests and its own initialisation) are
trained over the pretrained encoder's token states, each with its own fine-tuned copy of the encoder's top layers
(`StanceConfig.tuned_layers`; minutes per head on 2 cores); a reading is the mean of their calibrated probabilities.
The model is saved under ``<cache root>/models/stance-<key>`` as config JSON and safetensors with checksums; the
key hashes the grammar, the lexicon, the config and the encoder's files, so a change of any of them builds a new
model and a stale one is never read.
"""

from __future__ import annotations

import hashlib
import inspect
import itertools
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field

from hybrid_rec.config import StrictModel
from hybrid_rec.data.datasets import data_home
from hybrid_rec.errors import ConfigError, DataError
from hybrid_rec.persist import load_config, require, save_config, verify_checksums, write_checksums
from hybrid_rec.text import normalize as normalize_module
from hybrid_rec.text.minilm import MODEL_FILES, MiniLMEncoder, run_layers, torch_threads
from hybrid_rec.text.stance import grammar, lexicon, situations
from hybrid_rec.text.stance import model as model_module
from hybrid_rec.text.stance.grammar import LABELS, MENTIONED, UNRELATED, Example, corpus
from hybrid_rec.text.stance.model import StanceConfig, StanceHead, parts, three_way

__all__ = ["StanceReader", "build_stance"]

log = logging.getLogger(__name__)
_WEIGHTS = "head.safetensors"
# torch threads of every build: intra-op threads change the order of float sums, so a model built by the CLI, a
# test process (which may have set one thread) or a service is the same model only on a fixed count
BUILD_THREADS = 2
_BUILT: dict[str, tuple[Any, _Saved]] = {}  # key -> (head, what was saved): one build per process


class _Saved(StrictModel):
    """What a built stance model's directory records beside its weights."""

    config: StanceConfig = Field(description="How the model was built.")
    key: str = Field(description="Hash of the grammar, lexicon, config, head and encoder files it was built from.")
    dim: int = Field(gt=0, description="Width of the encoder's token states it reads.")
    about_temperature: list[float] = Field(
        min_length=1, description="Per head, the temperature of its 'about' logit (fitted on held-out kinds of catalog)."
    )
    stance_temperature: list[float] = Field(
        min_length=1, description="Per head, the temperature of its stance logits (fitted on held-out kinds of catalog)."
    )
    validation: dict[str, float] = Field(
        default_factory=dict, description="Accuracy, NLL and ECE on requests about the held-out kinds of catalog."
    )


def _key(config: StanceConfig) -> str:
    """Hash of what the model is built from: grammar, lexicon, situations, the normal form of its requests, the head
    and how it is trained and calibrated, the config and the encoder's files."""
    parts = [inspect.getsource(m) for m in (grammar, lexicon, situations, normalize_module, model_module)]
    parts += [situations.TEXT]  # the situations' text is data beside the module
    parts += [inspect.getsource(f) for f in (_Encoded, train_stance, _train, _train_head, _mean_parts, _temperatures,
                                             _heads, run_layers, MiniLMEncoder.encode_tokens, MiniLMEncoder.top_layers)]
    parts += [config.model_dump_json(), json.dumps(MODEL_FILES)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


class StanceReader:
    """Per request and thing: calibrated P(the request is about it) and P(wanted / rejected / mentioned | about).
    `threads`: torch threads while reading a request (0: torch's default, every core: one request is read
    as fast as the machine allows; the encoder's own setting applies to its batch work)."""

    def __init__(self, encoder: MiniLMEncoder, head: Any, saved: _Saved, threads: int = 0) -> None:
        self.encoder, self.head, self.saved, self.threads = encoder, head, saved, threads
        self.head.eval()
        self._states: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def states(self, request: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The request's token states, mask and sentence vector (encoded once per text)."""
        hit = self._states.get(request)  # a local: another thread may clear the cache meanwhile
        if hit is None:
            self.prime([request])
            hit = self._states.get(request) or self._encoded(request)
        return hit

    def _encoded(self, request: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        s, m, p = self.encoder.encode_tokens([request], threads=self.threads, below=self.saved.config.tuned_layers)
        return s[0], m[0], p[0]

    def prime(self, requests: Sequence[str], others: Sequence[str] = ()) -> np.ndarray:
        """Encode the token states of `requests` (kept for `read`; those already kept are not encoded again) and the
        sentence vectors of `others` in one encoder pass; returns those vectors [len(others), dim]."""
        requests = [r for r in dict.fromkeys(requests) if r not in self._states]
        if not requests and not others:
            return np.zeros((0, self.encoder.dim), np.float32)
        s, m, p = self.encoder.encode_tokens([*requests, *others], threads=self.threads,
                                             below=self.saved.config.tuned_layers)
        if len(self._states) >= 1024:
            self._states.clear()
        for i, request in enumerate(requests):
            length = int(m[i].sum())
            self._states[request] = (s[i, :length], m[i, :length], p[i])
        return p[len(requests) :]

    def read(self, request: str, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(P(about) [m], P(wanted, rejected, mentioned | about) [m, 3]) of `request` toward each of `targets`
        (unit text vectors, e.g. a catalog value's name); each target is read independently of the others."""
        torch = _torch()
        targets = np.asarray(targets, np.float32)
        if targets.ndim != 2 or len(targets) == 0:
            return np.zeros(0), np.zeros((0, 3))
        s, m, p = self.states(request)
        inputs = (torch.from_numpy(s[None]), torch.from_numpy(m[None]), torch.from_numpy(targets[None]),
                  torch.ones(1, len(targets), dtype=torch.bool), torch.from_numpy(p[None]))  # fmt: skip
        with torch.inference_mode():
            logits = [head(*inputs)[0].numpy().astype(np.float64) for head in self.head]
        return _mean_parts(logits, self.saved)

    # ------------------------------------------------------------------ files
    def save(self, directory: str | Path) -> None:
        from safetensors.torch import save_file

        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        save_config(path, self.saved)
        save_file({k: v.contiguous() for k, v in self.head.state_dict().items()}, str(path / _WEIGHTS))
        write_checksums(path)

    @classmethod
    def load(cls, directory: str | Path, encoder: MiniLMEncoder) -> StanceReader:
        from safetensors.torch import load_file

        path = require(directory, "config.json", _WEIGHTS, "checksums.json", what="stance model")
        verify_checksums(path, what="stance model")
        saved = load_config(path, _Saved, what="stance model")
        if saved.dim != encoder.dim:
            raise DataError(f"{path}: stance model for {saved.dim}-dim token states, the encoder gives {encoder.dim}")
        if not len(saved.about_temperature) == len(saved.stance_temperature) == saved.config.members:
            raise DataError(f"{path}: {saved.config.members} heads but temperatures for {len(saved.about_temperature)}")
        head = _heads(encoder, saved.config)
        try:
            head.load_state_dict(load_file(str(path / _WEIGHTS)))
        except RuntimeError as exc:  # weights of another shape than the config says
            raise DataError(f"{path}: the stance model's weights do not match its config: {exc}") from exc
        return cls(encoder, head, saved)


def _torch() -> Any:
    import torch

    return torch


MEMBER_SEED = 1000  # head m is trained with seed `config.seed + MEMBER_SEED * m` (head 0: the config's own seed)


def _heads(encoder: MiniLMEncoder, config: StanceConfig) -> Any:
    """The model's heads (`config.members`) as one torch module list (each with its copy of the encoder's top layers)."""
    return _torch().nn.ModuleList([_head(encoder, config) for _ in range(config.members)])


def _head(encoder: MiniLMEncoder, config: StanceConfig) -> Any:
    """One head, with a fresh copy of the encoder's top `config.tuned_layers` layers (none: frozen states)."""
    top = encoder.top_layers(config.tuned_layers) if config.tuned_layers else None
    return StanceHead(encoder.dim, config, top)


def _mean_parts(logits: Sequence[np.ndarray], saved: _Saved) -> tuple[np.ndarray, np.ndarray]:
    """(P(about), P(stance | about)): the mean over the heads of each one's calibrated probabilities."""
    read = [parts(x, a, s) for x, a, s in zip(logits, saved.about_temperature, saved.stance_temperature, strict=True)]
    return np.mean([a for a, _ in read], axis=0), np.mean([g for _, g in read], axis=0)


def build_stance(
    encoder: object, config: StanceConfig | None = None, *, cache_root: str | Path | None = None, progress: bool = False
) -> StanceReader | None:
    """The stance reader for `encoder`, trained on first use and cached beside the encoder's files (or under
    `cache_root`), once per process; None when the encoder gives no token states (the hashing fallback, for
    which requests are read by the rules alone)."""
    if not isinstance(encoder, MiniLMEncoder):
        return None
    config = config or StanceConfig()
    if config.width % config.heads:
        raise ConfigError(f"stance width ({config.width}) must be a multiple of heads ({config.heads})")
    key = _key(config)
    if key in _BUILT:  # built or loaded once per process, whatever the cache root
        return StanceReader(encoder, *_BUILT[key])
    # beside the encoder's own files (one installation, one cache), unless told where
    target = (data_home(cache_root) / "models" if cache_root is not None else encoder.path.parent) / f"stance-{key}"
    if (target / "config.json").is_file():
        try:
            reader = StanceReader.load(target, encoder)
            _BUILT[key] = (reader.head, reader.saved)
            return reader
        except DataError as exc:
            log.warning("rebuilding the stance model: %s", exc)
    log.warning("building the stance model once for this installation (minutes per head) into %s", target)
    reader = train_stance(encoder, config, progress=progress)
    _BUILT[key] = (reader.head, reader.saved)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        reader.save(staging)
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return reader


def _split_kinds(config: StanceConfig) -> tuple[list[str], list[str]]:
    """The lexicon's kinds of catalog split into training and validation kinds (seeded)."""
    kinds = list(lexicon.LEXICON)
    if config.validation_kinds >= len(kinds):
        raise ConfigError(f"stance validation_kinds ({config.validation_kinds}) must be < {len(kinds)}")
    held = set(np.random.default_rng(config.seed).choice(len(kinds), config.validation_kinds, replace=False).tolist())
    return [k for i, k in enumerate(kinds) if i not in held], [k for i, k in enumerate(kinds) if i in held]


class _Encoded:
    """A corpus as arrays: each request's token states once, each target's vector once, one row per target."""

    def __init__(self, encoder: MiniLMEncoder, examples: Sequence[Example], progress: bool, below: int) -> None:
        from tqdm.auto import tqdm

        texts = [e.request for e in examples]
        chunks = range(0, len(texts), 512)
        states, masks, pooled = [], [], []
        for start in tqdm(chunks, desc="stance model: encoding the grammar", disable=not progress):
            s, m, p = encoder.encode_tokens(texts[start : start + 512], threads=BUILD_THREADS, exact=True, below=below)
            states.append(s)
            masks.append(m)
            pooled.append(p)
        width = max(s.shape[1] for s in states)
        self.states = np.concatenate([np.pad(s, ((0, 0), (0, width - s.shape[1]), (0, 0))) for s in states]).astype(
            np.float16
        )
        self.mask = np.concatenate([np.pad(m, ((0, 0), (0, width - m.shape[1]))) for m in masks])
        self.pooled = np.concatenate(pooled)
        names = sorted({t for e in examples for t, _ in e.targets})
        self.target_vectors = encoder.encode(names)
        row = {t: i for i, t in enumerate(names)}
        k = max(len(e.targets) for e in examples)
        self.target = np.zeros((len(examples), k), np.int64)
        self.label = np.full((len(examples), k), -1, np.int64)  # -1: no target
        for i, e in enumerate(examples):
            self.target[i, : len(e.targets)] = [row[t] for t, _ in e.targets]
            self.label[i, : len(e.targets)] = [label for _, label in e.targets]

    def __len__(self) -> int:
        return len(self.label)

    def batch(self, rows: np.ndarray) -> tuple[Any, ...]:
        torch = _torch()
        return (
            torch.from_numpy(self.states[rows].astype(np.float32)),
            torch.from_numpy(self.mask[rows]),
            torch.from_numpy(self.target_vectors[self.target[rows]]),
            torch.from_numpy(self.label[rows] >= 0),
            torch.from_numpy(self.pooled[rows]),
            torch.from_numpy(self.label[rows]),
        )


def train_stance(encoder: MiniLMEncoder, config: StanceConfig, *, progress: bool = False) -> StanceReader:
    """Train the head on the grammar's requests about the training kinds of catalog; fit the temperatures on
    requests about the held-out kinds. Always on `BUILD_THREADS` torch threads, whatever the caller's setting."""
    with torch_threads(BUILD_THREADS):
        return _train(encoder, config, progress)


def _train(encoder: MiniLMEncoder, config: StanceConfig, progress: bool) -> StanceReader:
    train_kinds, valid_kinds = _split_kinds(config)  # one split for every head: they are validated alike
    valid = _Encoded(encoder, list(corpus(max(500, config.requests // 8), config.seed + 1, valid_kinds, config.situations)),
                     progress, config.tuned_layers)  # fmt: skip
    heads = _torch().nn.ModuleList(
        _train_head(encoder, config, config.seed + MEMBER_SEED * m, train_kinds, progress) for m in range(config.members)
    )
    temperatures, logits = [], []
    for head in heads:
        head.eval()
        member, labels = _logits(head, valid)
        temperatures.append(_temperatures(member, labels))
        logits.append(member)
    saved = _Saved(config=config, key=_key(config), dim=encoder.dim, about_temperature=[a for a, _ in temperatures],
                   stance_temperature=[s for _, s in temperatures])  # fmt: skip
    probs = three_way(*_mean_parts(logits, saved))
    merged = np.where(labels >= MENTIONED, 2, labels)  # wanted, rejected, neither
    figures = {
        "accuracy": float((probs.argmax(1) == merged).mean()),
        "nll": float(-np.log(probs[np.arange(len(probs)), merged] + 1e-12).mean()),
        "ece": expected_calibration_error(probs, merged),
        "targets": float(len(labels)),
        "neither_share": float((merged == 2).mean()),
    }
    log.info("stance model: validation %s (labels %s)", figures, LABELS)
    return StanceReader(encoder, heads, saved.model_copy(update={"validation": figures}))


def _train_head(encoder: MiniLMEncoder, config: StanceConfig, seed: int, kinds: list[str], progress: bool) -> Any:
    """One head trained on its own corpus sample of the training `kinds` (`seed`: the sample, the initialisation and
    the order of the batches)."""
    from tqdm.auto import tqdm

    torch = _torch()
    torch.manual_seed(seed)
    train = _Encoded(encoder, list(corpus(config.requests, seed, kinds, config.situations)), progress,
                     config.tuned_layers)  # fmt: skip
    head = _head(encoder, config)
    # the tuned encoder layers move slowly (pretrained), the head's own layers at the head's rate
    tuned = [p for name, p in head.named_parameters() if name.startswith("top.")]
    own = [p for name, p in head.named_parameters() if not name.startswith("top.")]
    groups = [{"params": own, "lr": config.lr}] + ([{"params": tuned, "lr": config.tuned_lr}] if tuned else [])
    optimiser = torch.optim.AdamW(groups, weight_decay=0.01)
    rng = np.random.default_rng(seed)
    steps = config.epochs * -(-len(train) // config.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=[g["lr"] for g in groups], total_steps=steps)
    bar = tqdm(total=steps, desc="stance model: training", disable=not progress)
    head.train()
    for _ in range(config.epochs):
        order = rng.permutation(len(train))
        for start in range(0, len(order), config.batch_size):
            *inputs, label = train.batch(order[start : start + config.batch_size])
            logits, label = head(*inputs)[label >= 0], label[label >= 0]
            about = label != UNRELATED
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits[:, 0], about.float())
            loss = loss + torch.nn.functional.cross_entropy(logits[about, 1:], label[about])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            bar.update()
    bar.close()
    return head


def _logits(head: Any, data: _Encoded) -> tuple[np.ndarray, np.ndarray]:
    """Every target's logits [n, 4] and label [n] of `data`."""
    torch = _torch()
    out, labels = [], []
    with torch.inference_mode():
        for start in range(0, len(data), 512):
            *inputs, label = data.batch(np.arange(start, min(start + 512, len(data))))
            keep = label >= 0
            out.append(head(*inputs)[keep].numpy())
            labels.append(label[keep].numpy())
    return np.concatenate(out).astype(np.float64), np.concatenate(labels)


def _temperatures(logits: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """The temperatures of the about logit and of the stance logits minimising each one's negative
    log-likelihood on requests about held-out kinds of catalog (grid search)."""
    grid = np.exp(np.linspace(np.log(0.25), np.log(8.0), 60))
    about = (labels != UNRELATED).astype(float)
    nll_about = []
    for t in grid:
        p = np.clip(1.0 / (1.0 + np.exp(-logits[:, 0] / t)), 1e-12, 1 - 1e-12)
        nll_about.append(-(about * np.log(p) + (1 - about) * np.log(1 - p)).mean())
    said = labels != UNRELATED
    nll_stance = [-np.log(parts(logits[said], 1.0, t)[1][np.arange(said.sum()), labels[said]] + 1e-12).mean() for t in grid]
    return float(grid[int(np.argmin(nll_about))]), float(grid[int(np.argmin(nll_stance))])


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, bins: int = 10) -> float:
    """ECE of the top-label confidence over equal-width bins."""
    confidence, predicted = probs.max(1), probs.argmax(1)
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in itertools.pairwise(edges):
        inside = (confidence > lo) & (confidence <= hi)
        if inside.any():
            total += inside.mean() * abs(
                float((predicted[inside] == labels[inside]).mean()) - float(confidence[inside].mean())
            )
    return float(total)
