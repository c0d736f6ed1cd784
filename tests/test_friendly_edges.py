"""Friendly edges: a missing extra names itself, global flags go anywhere, library calls draw no bars."""

from __future__ import annotations

import importlib
import logging
import sys

import pytest
from transformers.utils import logging as hf_logging
from typer.testing import CliRunner

from hybrid_rec import cli
from hybrid_rec._extras import require
from hybrid_rec._progress import hf_progress
from hybrid_rec.cli import app
from hybrid_rec.errors import ConfigError, HybridRecError, MissingExtraError

runner = CliRunner()


def _one_line_error(result, exit_code: int = 2) -> str:
    assert result.exit_code == exit_code, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


# ---------------------------------------------------------------------------- missing extras
def test_require_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "fastapi", None)  # what `import fastapi` sees when it is not installed
    with pytest.raises(MissingExtraError) as info:
        require("fastapi", "serve", "hybrid-rec serve")
    assert str(info.value) == "hybrid-rec serve needs the 'serve' extra: pip install 'hybrid_rec[serve]'"
    assert isinstance(info.value, HybridRecError) and isinstance(info.value, ImportError)
    assert require("json", "serve", "x") is sys.modules["json"]


def test_require_says_what_failed_when_a_dependency_is_broken(tmp_path, monkeypatch):
    (tmp_path / "half_installed.py").write_text("import no_such_dependency_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(MissingExtraError, match=r"'serve' extra.*no_such_dependency_xyz"):
        require("half_installed", "serve", "feature")


def test_serve_without_fastapi_is_one_line(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "fastapi", None)
    result = runner.invoke(app, ["serve", "--model", str(tmp_path)])
    line = _one_line_error(result)
    assert line == "error: hybrid-rec serve needs the 'serve' extra: pip install 'hybrid_rec[serve]'"


def test_serve_without_uvicorn_is_one_line(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    result = runner.invoke(app, ["serve", "--model", str(tmp_path)])
    assert "'serve' extra" in _one_line_error(result)


def test_importing_the_service_without_fastapi_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "fastapi", None)
    monkeypatch.delitem(sys.modules, "hybrid_rec.serve", raising=False)
    with pytest.raises(MissingExtraError, match=r"pip install 'hybrid_rec\[serve\]'"):
        importlib.import_module("hybrid_rec.serve")


def test_ray_backend_without_ray_is_one_line(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "ray", None)
    result = runner.invoke(
        app, ["score", "--model", str(tmp_path / "none"), "--out", str(tmp_path / "o.parquet"), "--backend", "ray"]
    )
    line = _one_line_error(result)
    assert line == "error: batch scoring with backend='ray' needs the 'ray' extra: pip install 'hybrid_rec[ray]'"


# ---------------------------------------------------------------------------- global flags
@pytest.mark.parametrize("where", ["before", "after"])
def test_global_flags_before_or_after_the_subcommand(where, monkeypatch, tmp_path):
    seen = {}

    def fake_run_compare(cfg, out, **kwargs):
        seen.update(kwargs)
        raise ConfigError("stop here")

    monkeypatch.setattr("hybrid_rec.evaluate.compare.run_compare", fake_run_compare)
    (tmp_path / "c.toml").write_text('[dataset]\nname = "synthetic"\n')
    command = ["compare", "--config", str(tmp_path / "c.toml"), "--out", str(tmp_path / "o")]
    args = ["--quiet", *command] if where == "before" else [*command, "--quiet"]
    result = runner.invoke(app, args)
    assert _one_line_error(result) == "error: stop here"
    assert cli._state["quiet"] is True and seen["progress"] is False
    assert logging.getLogger("hybrid_rec").level == logging.WARNING


def test_debug_after_a_nested_subcommand_shows_the_exception(tmp_path):
    args = ["feedback", "ingest", str(tmp_path / "none.csv"), "--model", str(tmp_path)]
    assert runner.invoke(app, args).exit_code == 2  # one line by default
    result = runner.invoke(app, [*args, "--debug"])
    assert result.exit_code != 2 and isinstance(result.exception, HybridRecError)
    assert cli._state["debug"] is True


def test_flags_after_double_dash_are_arguments():
    result = runner.invoke(app, ["data", "fetch", "--", "-q"])
    assert _one_line_error(result).startswith("error: unknown dataset '-q'")
    assert cli._state["quiet"] is False


# ---------------------------------------------------------------------------- progress bars
@pytest.fixture(scope="module")
def tiny_model():
    from transformers import GPT2Config, GPT2LMHeadModel

    cfg = GPT2Config(vocab_size=64, n_positions=16, n_embd=8, n_layer=1, n_head=2, bos_token_id=0, eos_token_id=0)
    return GPT2LMHeadModel(cfg).eval()


@pytest.fixture()
def bars_on():
    """transformers' bars on for the test (earlier CLI tests with --quiet turn them off), then as before."""
    was = hf_logging.is_progress_bar_enabled()
    hf_logging.enable_progress_bar()
    yield
    if not was:
        hf_logging.disable_progress_bar()


def test_saving_and_loading_a_model_prints_nothing(tiny_model, tmp_path, capfd, bars_on):
    from hybrid_rec.rerank.model import load_pretrained, save_pretrained

    capfd.readouterr()
    save_pretrained(tiny_model, tmp_path / "m")
    model = load_pretrained(tmp_path / "m")
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""
    assert model.config.n_embd == tiny_model.config.n_embd
    assert hf_logging.is_progress_bar_enabled()  # the caller's setting is back


def test_progress_true_shows_the_loading_bar(tiny_model, tmp_path, capfd, bars_on):
    from hybrid_rec.rerank.model import load_pretrained, save_pretrained

    save_pretrained(tiny_model, tmp_path / "m")
    capfd.readouterr()
    load_pretrained(tmp_path / "m", progress=True)
    assert "Loading weights" in capfd.readouterr().err


def test_hf_progress_restores_the_previous_state(bars_on):
    with hf_progress(False):
        assert not hf_logging.is_progress_bar_enabled()
        with hf_progress(False):  # nested (or another thread): still off
            assert not hf_logging.is_progress_bar_enabled()
        assert not hf_logging.is_progress_bar_enabled()
    assert hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # the user turned bars off: a library call does not turn them on
    with hf_progress(True):
        assert not hf_logging.is_progress_bar_enabled()
    with hf_progress(False):
        pass
    assert not hf_logging.is_progress_bar_enabled()


@pytest.fixture(scope="module")
def tiny_pipeline(tiny_models):
    return tiny_models().load()


def test_a_single_id_where_a_list_is_expected_is_one_id(tiny_pipeline):
    """`recommend("u3")` means user u3, not users "u" and "3"; a single candidate id likewise."""
    from hybrid_rec.errors import UnknownIdError

    pipe = tiny_pipeline
    assert [r.item_id for r in pipe.recommend("u3", 3)[0]] == [r.item_id for r in pipe.recommend(["u3"], 3)[0]]
    with pytest.raises(UnknownIdError, match="'u999'"):
        pipe.recommend("u999", 3)
    assert [r.item_id for r in pipe.rerank("u3", "i1", exclude_seen=False)] == ["i1"]


def test_the_python_api_takes_a_single_user_id(tiny_models):
    from hybrid_rec.api import HybridRecommender

    rec = HybridRecommender.load(tiny_models().path)
    assert rec.recommend("u3", k=3)["item_id"].tolist() == rec.recommend(["u3"], k=3)["item_id"].tolist()


def test_k_beyond_the_first_stage_is_filled_not_capped(tiny_pipeline):
    """The tiny model proposes 20 candidates per user; k = 35 gets 35 items (never a silent cap at 20)."""
    pipe = tiny_pipeline
    assert pipe.config.n_candidates == 20
    (recs,) = pipe.recommend(["u3"], 35)
    assert len(recs) == 35 and len({r.item_id for r in recs}) == 35
    internal = pipe.ids.users(["u3"])[1]
    assert len(pipe.recommend_internal(internal, 35, n_candidates=35).items[0]) == 35  # batch scoring's call
    assert (pipe.recommend_internal(internal, 35).items[0] >= 0).sum() == 20  # the evaluation's: the config's 20


def test_serve_limits_come_from_one_file_and_flags_win(tmp_path, monkeypatch):
    """`hybrid-rec serve --config serve.toml`: every limit in one TOML (configs/serve.toml holds the defaults), a flag
    given on the command line wins, an unknown key is a one-line error naming it."""
    import hybrid_rec.serve as serve
    from hybrid_rec.serve import ServeConfig

    seen: list[ServeConfig] = []
    monkeypatch.setattr(serve, "run", lambda model, host, port, config, workers: seen.append(config))
    shipped = ServeConfig.from_toml("configs/serve.toml")
    assert shipped == ServeConfig()  # the file documents the defaults, each one
    own = tmp_path / "serve.toml"
    own.write_text("max_request_chars = 50\nmax_k = 20\n")
    result = runner.invoke(app, ["serve", "--model", str(tmp_path), "--config", str(own), "--max-k", "7"])
    assert result.exit_code == 0, result.output
    assert (seen[-1].max_request_chars, seen[-1].max_k, seen[-1].max_candidates) == (50, 7, 1000)
    result = runner.invoke(app, ["serve", "--model", str(tmp_path), "--max-request-chars", "80"])
    assert result.exit_code == 0 and seen[-1].max_request_chars == 80 and seen[-1].max_k == 100
    own.write_text("max_reqest_chars = 50\n")
    assert "max_reqest_chars" in _one_line_error(runner.invoke(app, ["serve", "--model", str(tmp_path), "--config",
                                                                      str(own)]))  # fmt: skip


def test_a_request_too_long_for_the_lm_says_to_shorten_it(tiny_pipeline):
    """A request the LM's prompt cannot hold is an error naming the fix (and the REST limit), not a budget's arithmetic."""
    genre = sorted({g for gs in tiny_pipeline.reranker.catalog.items["genres"] for g in gs})[0]
    with pytest.raises(ConfigError, match="shorten the request .*max_request_chars"):
        tiny_pipeline.recommend(["u3"], 3, request=f"{genre} " * 400)
