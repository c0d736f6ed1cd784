"""`policy.check_on_unknown`: the one validator of the on_unknown vocabulary."""

from __future__ import annotations

import pytest

from hybrid_rec.errors import ConfigError
from hybrid_rec.policy import ON_UNKNOWN, check_on_unknown


def test_the_vocabulary_is_exactly_the_three_documented_values():
    assert ON_UNKNOWN == ("raise", "skip", "fallback")


@pytest.mark.parametrize("value", ["raise", "skip", "fallback"])
def test_valid_values_are_returned_unchanged(value):
    assert check_on_unknown(value) == value


@pytest.mark.parametrize("old", ["popularity", "last", "mask"])
def test_renamed_spellings_name_the_new_value(old):
    with pytest.raises(ConfigError) as err:
        check_on_unknown(old, "unknown_items")
    assert str(err.value) == (
        f"unknown_items must be 'raise', 'skip' or 'fallback', not {old!r} ({old!r} is now called 'fallback')"
    )


@pytest.mark.parametrize("value", ["RAISE", "", None, 1, ("raise",)])
def test_other_values_name_the_argument_without_a_rename_hint(value):
    with pytest.raises(ConfigError) as err:
        check_on_unknown(value)
    assert str(err.value) == f"on_unknown must be 'raise', 'skip' or 'fallback', not {value!r}"
