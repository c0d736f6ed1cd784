"""`Session`: what the current visit says that the event log does not hold yet (external item ids).

A session changes the next list without retraining: ``recent`` items are read after the user's
history in the LM prompt and are not recommended again; ``exclude`` items are never recommended;
``more_like`` / ``less_like`` steer the list toward or away from items, like "more like X" /
"less like Y" in a request; ``passed`` items were shown and passed over (not recommended again, and
read as mild negative feedback). A model fitted with session rounds (`HybridConfig.session_fit`)
weighs these reactions with fusion weights fitted on simulated validation rounds. Ids the model does
not know are ignored (a session is a hint, not a query that can fail).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Session:
    """Session context for one recommendation call."""

    recent: tuple[object, ...] = ()
    exclude: tuple[object, ...] = ()
    more_like: tuple[object, ...] = ()
    less_like: tuple[object, ...] = ()
    passed: tuple[object, ...] = ()

    @classmethod
    def of(
        cls,
        recent: Iterable[object] = (),
        exclude: Iterable[object] = (),
        more_like: Iterable[object] = (),
        less_like: Iterable[object] = (),
        passed: Iterable[object] = (),
    ) -> Session:
        """A session from any iterables of external ids."""
        return cls(tuple(recent), tuple(exclude), tuple(more_like), tuple(less_like), tuple(passed))

    @property
    def empty(self) -> bool:
        return not (self.recent or self.exclude or self.more_like or self.less_like or self.passed)

    @property
    def steers(self) -> bool:
        """True when the session asks to move the list (more / less like some items)."""
        return bool(self.more_like or self.less_like)
