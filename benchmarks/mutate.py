"""Mutation testing of the core modules with mutmut (`make mutate`; results in benchmarks/README.md).

mutmut copies the package into ``mutants/``, plants one small change per mutant (an operator, a
constant, a dropped argument...) and runs, for each mutant, only the fast tests that executed the
mutated function (``pytest_add_cli_args_test_selection`` in ``[tool.mutmut]``, pyproject.toml).
A mutant is *killed* when a test fails, *survived* when every test passes (a timeout is
reported apart and not counted as a kill).

    python benchmarks/mutate.py                 # every module below, one after the other
    python benchmarks/mutate.py metrics topk    # some of them
    python benchmarks/mutate.py --summary       # only print the table of the last results
    python benchmarks/mutate.py --survivors     # ...and the surviving mutants, one per line

Run it under ``nice`` with one worker (the Makefile does): a mutant's tests are timed, so a busy
machine only makes the run slower, never wrong.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Short name -> (source file, the mutant-name globs in scope). mutmut names a mutant
# ``<module>.x_<function>__mutmut_<n>`` (methods: ``x<U+01C1>Class<U+01C1>method``).
MODULES: dict[str, tuple[str, list[str]]] = {
    "policy": ("hybrid_rec/policy.py", ["hybrid_rec.policy.*"]),
    "topk": ("hybrid_rec/topk.py", ["hybrid_rec.topk.*"]),
    "metrics": ("hybrid_rec/metrics.py", ["hybrid_rec.metrics.*"]),
    "evaluate.metrics": ("hybrid_rec/evaluate/metrics.py", ["hybrid_rec.evaluate.metrics.*"]),
    "splits": ("hybrid_rec/data/splits.py", ["hybrid_rec.data.splits.*"]),
    "ids": ("hybrid_rec/data/ids.py", ["hybrid_rec.data.ids.*"]),
    "scorer": ("hybrid_rec/rerank/scorer.py", ["hybrid_rec.rerank.scorer.*"]),
    # the trainer's losses only (the training loop, checkpointing and example building are out of scope)
    "trainer.losses": ("hybrid_rec/rerank/trainer.py", ["hybrid_rec.rerank.trainer.x__batch_loss__mutmut_*"]),
    "fusion": ("hybrid_rec/rerank/fusion.py", ["hybrid_rec.rerank.fusion.*"]),
    "events": ("hybrid_rec/feedback/events.py", ["hybrid_rec.feedback.events.*"]),
    "log": ("hybrid_rec/feedback/log.py", ["hybrid_rec.feedback.log.*"]),
    "store": ("hybrid_rec/store.py", ["hybrid_rec.store.*"]),
    # the updater's helpers; apply_pending / finetune_reranker need a trained pipeline in every mutant's
    # process (tests/feedback/test_updater.py, minutes per mutant): not mutated, see benchmarks/README.md
    "updater": (
        "hybrid_rec/feedback/updater.py",
        [
            f"hybrid_rec.feedback.updater.x_{f}__mutmut_*"
            for f in ("to_interactions", "apply_negatives", "guard_ndcg", "negatives_by_user")
        ],
    ),
}

KILLED = {1: "killed", 3: "killed", 36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout"}
NAMES = {0: "survived", 33: "no tests", 5: "no tests", None: "not checked"}


def status(code: int | None) -> str:
    if code is not None and code in KILLED:
        return KILLED[code]
    return NAMES.get(code, "suspicious")


def in_scope(key: str, globs: list[str]) -> bool:
    from fnmatch import fnmatch

    return any(fnmatch(key, g) for g in globs)


def results(name: str) -> dict[str, str]:
    """Status of every in-scope mutant of one module, from mutmut's ``mutants/<file>.meta``."""
    source, globs = MODULES[name]
    meta = ROOT / "mutants" / (source + ".meta")
    if not meta.is_file():
        return {}
    codes = json.loads(meta.read_text())["exit_code_by_key"]
    return {k: status(v) for k, v in codes.items() if in_scope(k, globs)}


def summary(names: list[str], survivors: bool) -> float | None:
    total_killed = total = 0
    print(f"{'module':<18} {'killed':>7} {'timeout':>7} {'survived':>8} {'no tests':>8} {'total':>6} {'score':>7}")
    for name in names:
        r = results(name)
        if not r or all(s == "not checked" for s in r.values()):
            print(f"{name:<18} not run")
            continue
        c = {s: sum(v == s for v in r.values()) for s in ("killed", "timeout", "survived", "no tests", "not checked")}
        killed = c["killed"]  # a timeout is reported, not counted as a kill (a slow test is not a failing one)
        checked = len(r) - c["not checked"]
        total_killed, total = total_killed + killed, total + checked
        note = f"  ({c['not checked']} not checked)" if c["not checked"] else ""
        print(
            f"{name:<18} {c['killed']:>7} {c['timeout']:>7} {c['survived']:>8} {c['no tests']:>8} {checked:>6}"
            f" {killed / checked:>7.1%}{note}"
        )
    if total:
        print(f"{'all':<18} {total_killed:>7} {'':>7} {'':>8} {'':>8} {total:>6} {total_killed / total:>7.1%}")
    if survivors:
        for name in names:
            for key, s in sorted(results(name).items(), key=lambda kv: _natural(kv[0])):
                if s in ("survived", "no tests", "suspicious", "timeout"):
                    print(f"{s:<9} {key}")
    return total_killed / total if total else None


def _natural(key: str) -> tuple[str, int]:
    m = re.match(r"(.*)__mutmut_(\d+)$", key)
    return (m.group(1), int(m.group(2))) if m else (key, 0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="*", help=f"some of: {', '.join(MODULES)} (default: all)")
    parser.add_argument("--summary", action="store_true", help="print the last results without running")
    parser.add_argument("--survivors", action="store_true", help="also list the surviving mutants")
    parser.add_argument("--min-score", type=float, default=0.85, help="exit 1 below this overall score")
    parser.add_argument(
        "--only",
        choices=["unchecked", "survivors"],
        help="re-run only the mutants not checked yet (a run cut short) or the survivors (after adding tests)",
    )
    args = parser.parse_args()
    unknown = [m for m in args.modules if m not in MODULES]
    if unknown:
        parser.error(f"unknown module(s) {unknown}; known: {list(MODULES)}")
    names = args.modules or list(MODULES)
    if not args.summary:
        mutmut = str(Path(sys.executable).with_name("mutmut"))
        globs = [g for name in names for g in MODULES[name][1]]
        if args.only:
            wanted = {"not checked"} if args.only == "unchecked" else {"survived", "no tests", "suspicious", "timeout"}
            globs = [k for name in names for k, v in results(name).items() if v in wanted]
            if not globs:
                print("nothing to run")
                return 0 if summary(names, args.survivors) else 1
        print(f"== mutmut run: {', '.join(names)}", flush=True)
        # one run for the selected modules (named mutants are always re-run); one worker: the machine is shared
        # HYBRID_REC_MUTATION: tests/conftest.py turns off the shrinking of failing examples; one thread: torch's
        # OpenMP pool does not survive mutmut's fork of the warmed-up test process (every mutant would hang)
        env = {**os.environ, "HYBRID_REC_MUTATION": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        proc = subprocess.Popen([mutmut, "run", "--max-children", "1", *globs], cwd=ROOT, env=env)
        try:
            proc.wait()
        except KeyboardInterrupt:  # let mutmut stop its worker and keep the results so far
            proc.send_signal(signal.SIGINT)
            proc.wait()
    score = summary(names, args.survivors)
    return 0 if score is not None and score >= args.min_score else 1


if __name__ == "__main__":
    sys.exit(main())
