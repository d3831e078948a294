"""Memoising a pure function of a list of names that repeats record after record, such as the
header names an integration sends: the memo is bounded in entries and in the length of the
lists it keeps, and the bound is checked only when an answer is worked out."""

from collections.abc import Callable
from typing import TypeVar

MEMO_MAX_ENTRIES = 256
MEMO_MAX_CHARS = 1_000  # of the names of one list

T = TypeVar("T")


def memoised(function: Callable[[tuple[str, ...]], T]) -> Callable[[tuple[str, ...]], T]:
    """`function` (which never answers None), answering from a memo the lists of names it
    has seen."""
    memo: dict[tuple[str, ...], T] = {}

    def answer(names: tuple[str, ...]) -> T:
        known = memo.get(names)
        if known is not None:
            return known
        worked_out = function(names)
        if sum(map(len, names)) <= MEMO_MAX_CHARS:
            if len(memo) >= MEMO_MAX_ENTRIES:
                memo.clear()
            memo[names] = worked_out
        return worked_out

    return answer
