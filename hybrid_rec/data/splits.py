"""Leakage-free train/validation/test splits.

Every split returns train, validation and test `Interactions` sharing the dataset's id maps, plus
``train_valid``: the rows a model is refitted on before the test evaluation. Validation is for
tuning only; the test rows are never seen by a fit. The checks that need no data (`check_*`) run
again when a ``[split]`` table is loaded (`hybrid_rec.data.config`), before any data is read.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from hybrid_rec.data.interactions import Interactions
from hybrid_rec.errors import ConfigError, DataError

Stage = Literal["valid", "test"]


@dataclass(frozen=True, eq=False)
class Split:
    """A split: ``train`` for tuning fits, ``valid`` for tuning scores, ``train_valid`` for the final
    fit, ``test`` for the final scores. ``info`` records the kind, cut points and dropped rows."""

    train: Interactions
    valid: Interactions
    test: Interactions
    train_valid: Interactions
    info: dict[str, object] = field(default_factory=dict)

    def fit_data(self, stage: Stage) -> Interactions:
        """The rows a model may be fitted on before being scored on `stage`."""
        return self.train if stage == "valid" else self.train_valid

    def targets(self, stage: Stage) -> Interactions:
        """The held-out rows scored at `stage`."""
        return self.valid if stage == "valid" else self.test


def sample_user_rows(rows: Interactions, n: int | None, seed: int) -> Interactions:
    """The rows of a seeded uniform sample of `n` of their users (`rows` itself when `n` is None or
    at least the number of users)."""
    users = np.unique(rows.user)
    if n is None or n >= len(users):
        return rows
    keep = np.random.default_rng([seed, n]).choice(users, size=n, replace=False)
    return rows.subset(np.isin(rows.user, keep))


def sample_scored_users(split: Split, n: int | None, seed: int) -> Split:
    """The split with its validation and test rows cut to a seeded sample of `n` users each; the fit
    rows (``train``, ``train_valid``) unchanged, so only the cost of scoring shrinks."""
    valid, test = sample_user_rows(split.valid, n, seed), sample_user_rows(split.test, n, seed)
    if valid is split.valid and test is split.test:
        return split
    return replace(split, valid=valid, test=test, info={**split.info, "scored_users": n})


def leave_last_out(interactions: Interactions, min_interactions: int = 3) -> Split:
    """Per user by time: the last interaction is test, the second last validation.

    Ties in timestamp are broken by input row order (a later row counts as later). Users with
    fewer than `min_interactions` interactions stay in train only.
    """
    stage = leave_last_out_stage(interactions, min_interactions)
    counts = interactions.user_counts()
    return Split(
        train=interactions.subset(stage == 0),
        valid=interactions.subset(stage == 1),
        test=interactions.subset(stage == 2),
        train_valid=interactions.subset(stage != 2),
        info={
            "kind": "leave_last_out",
            "min_interactions": min_interactions,
            "train_only_users": int(((counts > 0) & (counts < min_interactions)).sum()),
        },
    )


def leave_last_out_stage(interactions: Interactions, min_interactions: int = 3) -> np.ndarray:
    """Per row: 2 = the user's last interaction (test), 1 = the second last (validation), 0 = train."""
    if min_interactions < 3:
        raise ConfigError(f"min_interactions must be >= 3 (one train, one valid, one test row), got {min_interactions}")
    n = len(interactions)
    order = np.lexsort((np.arange(n), interactions.timestamp, interactions.user))
    counts = interactions.user_counts()
    sorted_users = interactions.user[order]
    starts = np.concatenate([[0], np.cumsum(counts)])[sorted_users]
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - starts  # position of each row within its user's timeline
    from_end = counts[interactions.user] - 1 - rank
    eligible = counts[interactions.user] >= min_interactions
    return np.where(eligible & (from_end == 0), 2, np.where(eligible & (from_end == 1), 1, 0))


def _seen_mask(rows: Interactions, seen: Interactions) -> np.ndarray:
    known_u = np.zeros(rows.n_users, bool)
    known_i = np.zeros(rows.n_items, bool)
    known_u[seen.user] = True
    known_i[seen.item] = True
    return known_u[rows.user] & known_i[rows.item]


def _assemble(interactions: Interactions, stage: np.ndarray, info: dict[str, object]) -> Split:
    """Build a split from a per-row stage code (0 train, 1 valid, 2 test), dropping held-out rows
    whose user or item the corresponding fit has never seen."""
    train = interactions.subset(stage == 0)
    valid_all = interactions.subset(stage == 1)
    train_valid = interactions.subset(stage <= 1)
    test_all = interactions.subset(stage == 2)
    valid_keep = _seen_mask(valid_all, train)
    test_keep = _seen_mask(test_all, train_valid)
    info = {**info, "dropped_valid_rows": int((~valid_keep).sum()), "dropped_test_rows": int((~test_keep).sum())}
    if len(train) == 0:
        raise DataError(f"{info['kind']} split: the training part is empty; move the cut later")
    return Split(train, valid_all.subset(valid_keep), test_all.subset(test_keep), train_valid, info)


def check_temporal_cuts(
    *,
    test_start: float | None = None,
    valid_start: float | None = None,
    test_quantile: float | None = None,
    valid_quantile: float | None = None,
) -> None:
    """The checks of `temporal_split`'s cuts that need no data (a `ConfigError` naming the option):
    run by the split and, at load, by its config."""
    if (test_start is None) == (test_quantile is None):
        raise ConfigError("temporal_split: give exactly one of test_start or test_quantile")
    if valid_start is not None and valid_quantile is not None:
        raise ConfigError("temporal_split: give at most one of valid_start or valid_quantile")
    for name, q in (("test_quantile", test_quantile), ("valid_quantile", valid_quantile)):
        if q is not None and not 0.0 < q < 1.0:
            raise ConfigError(f"temporal_split: {name} must be in (0, 1), got {q}")
    if test_start is not None and valid_start is not None and valid_start > test_start:
        raise ConfigError(
            f"temporal_split: the validation cut ({float(valid_start)}) is after the test cut ({float(test_start)})"
        )
    if test_quantile is not None and valid_quantile is not None and valid_quantile > test_quantile:
        raise ConfigError(
            f"temporal_split: valid_quantile ({valid_quantile}) is above test_quantile ({test_quantile}): "
            "the validation cut would come after the test cut"
        )


def check_random_fractions(test_fraction: float, valid_fraction: float) -> None:
    """`random_holdout`'s fractions are probabilities that leave some rows to train (a `ConfigError`
    otherwise): run by the split and, at load, by its config."""
    if not (0 < test_fraction < 1 and 0 <= valid_fraction < 1 and test_fraction + valid_fraction < 1):
        raise ConfigError(
            "random_holdout: fractions must be in [0, 1) and sum below 1, "
            f"got test={test_fraction}, valid={valid_fraction}"
        )


def temporal_split(
    interactions: Interactions,
    *,
    test_start: float | None = None,
    valid_start: float | None = None,
    test_quantile: float | None = None,
    valid_quantile: float | None = None,
) -> Split:
    """Global time cut: rows with timestamp >= the test cut are test, between the validation and
    test cuts validation, earlier rows train. Cuts are absolute times or quantiles of the
    timestamps. Held-out rows of users or items unseen by the fit they are scored after (train for
    validation, train + validation for test) are dropped and counted in ``info``.
    """
    check_temporal_cuts(
        test_start=test_start, valid_start=valid_start, test_quantile=test_quantile, valid_quantile=valid_quantile
    )
    ts = interactions.timestamp
    if test_quantile is not None:
        t_cut = float(np.quantile(ts, test_quantile))
    elif test_start is not None:  # always, by the exactly-one check above
        t_cut = float(test_start)
    if valid_quantile is not None:
        v_cut = float(np.quantile(ts, valid_quantile))
    else:
        v_cut = float(valid_start) if valid_start is not None else t_cut
    if v_cut > t_cut:
        raise ConfigError(f"temporal_split: the validation cut ({v_cut}) is after the test cut ({t_cut})")
    stage = np.where(ts >= t_cut, 2, np.where(ts >= v_cut, 1, 0))
    return _assemble(interactions, stage, {"kind": "temporal", "test_start": t_cut, "valid_start": v_cut})


def random_holdout(
    interactions: Interactions, *, test_fraction: float = 0.2, valid_fraction: float = 0.1, seed: int = 0
) -> Split:
    """Each row independently goes to test / validation / train with the given probabilities
    (seeded). Held-out rows of unseen users or items are dropped as in `temporal_split`."""
    check_random_fractions(test_fraction, valid_fraction)
    draw = np.random.default_rng(seed).random(len(interactions))
    stage = np.where(draw < test_fraction, 2, np.where(draw < test_fraction + valid_fraction, 1, 0))
    return _assemble(
        interactions,
        stage,
        {"kind": "random", "test_fraction": test_fraction, "valid_fraction": valid_fraction, "seed": seed},
    )


def cold_item_split(
    interactions: Interactions, fraction: float = 0.1, seed: int = 0, min_interactions: int = 3
) -> Split:
    """Items nobody has interacted with, evaluated: a seeded `fraction` of the items with interactions
    is held out entirely (every row of theirs is removed from the fits), and the test rows are the
    leave-last-out test rows whose item is one of them (the other users' last rows are used nowhere).
    Validation is the leave-last-out validation on the other items. The held-out items stay in the id maps (catalog items without interactions),
    so a method can reach them only through what it knows besides interactions (their text).
    """
    if not 0 < fraction < 1:
        raise ConfigError(f"cold_items: fraction must be in (0, 1), got {fraction}")
    present = np.flatnonzero(interactions.item_counts() > 0)
    n_cold = max(1, round(fraction * len(present)))
    cold = np.zeros(interactions.n_items, bool)
    cold[np.random.default_rng(seed).choice(present, n_cold, replace=False)] = True
    last = leave_last_out_stage(interactions, min_interactions)
    warm_row = ~cold[interactions.item]
    test = (last == 2) & ~warm_row
    valid = (last == 1) & warm_row
    fit = (last != 2) & warm_row
    return Split(
        train=interactions.subset(fit & ~valid),
        valid=interactions.subset(valid),
        test=interactions.subset(test),
        train_valid=interactions.subset(fit),
        info={
            "kind": "cold_items",
            "min_interactions": min_interactions,
            "fraction": fraction,
            "seed": seed,
            "cold_items": int(n_cold),
            "cold_rows_removed": int((~warm_row).sum() - test.sum()),  # fit rows of held-out items
            "warm_test_rows_dropped": int(((last == 2) & warm_row).sum()),  # last rows of warm items: unused
        },
    )
