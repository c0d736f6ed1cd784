"""Our `ALSModel.fit` against calling implicit directly with the same settings, and BLAS threads.

Both fit the same confidence matrix with the same hyper-parameters and seed; the wrapper adds the
matrix build, the BLAS pin and the bookkeeping. Median of --repeats runs. Run:

    .venv/bin/python benchmarks/als_overhead.py --dataset movielens-100k
    .venv/bin/python benchmarks/als_overhead.py --dataset synthetic
"""

from __future__ import annotations

import argparse
import statistics
import time

from implicit.cpu.als import AlternatingLeastSquares
from threadpoolctl import threadpool_limits

from hybrid_rec.candidates.als import ALSModel
from hybrid_rec.data import load_dataset, make_synthetic


def median_seconds(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=["movielens-100k", "synthetic"], default="movielens-100k")
    parser.add_argument("--factors", type=int, default=64)
    parser.add_argument("--iterations", type=int, default=15)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    if args.dataset == "synthetic":
        inter = make_synthetic(n_users=20_000, n_items=10_000, interactions_per_user=50, seed=0).interactions
    else:
        inter = load_dataset("movielens-100k").interactions
    matrix = inter.to_csr("binary")
    kw = dict(factors=args.factors, regularization=0.1, alpha=1.0, iterations=args.iterations, random_state=0)

    def direct(blas: int) -> None:
        with threadpool_limits(blas, "blas"):
            AlternatingLeastSquares(**kw, num_threads=0).fit(matrix, show_progress=False)

    def ours(blas: int) -> None:
        ALSModel(factors=args.factors, regularization=0.1, iterations=args.iterations, seed=0, blas_threads=blas).fit(
            inter
        )

    print(
        f"{args.dataset}: {inter.n_users} users, {inter.n_items} items, {len(inter)} interactions; "
        f"factors={args.factors}, iterations={args.iterations}, median of {args.repeats}\n"
    )
    print("| BLAS threads | implicit direct s | hybrid_rec ALSModel s | overhead |")
    print("|---|---|---|---|")
    for blas in (1, 2):
        d = median_seconds(lambda b=blas: direct(b), args.repeats)
        o = median_seconds(lambda b=blas: ours(b), args.repeats)
        print(f"| {blas} | {d:.3f} | {o:.3f} | {100 * (o / d - 1):+.1f}% |", flush=True)


if __name__ == "__main__":
    main()
