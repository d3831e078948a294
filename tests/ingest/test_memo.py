"""The memo of answers per list of names: same answers, bounded size."""

from ingest import memo
from ingest.memo import MEMO_MAX_CHARS, MEMO_MAX_ENTRIES, memoised


def counting(answers: list) -> object:
    @memoised
    def lengths(names: tuple[str, ...]) -> tuple[int, ...]:
        answers.append(names)
        return tuple(map(len, names))

    return lengths


def test_a_list_of_names_is_worked_out_once():
    worked_out: list = []
    lengths = counting(worked_out)
    assert lengths(("a", "bc")) == (1, 2)
    assert lengths(("a", "bc")) == (1, 2)
    assert lengths(()) == ()
    assert lengths(()) == ()
    assert worked_out == [("a", "bc"), ()]


def test_long_lists_are_not_kept():
    worked_out: list = []
    lengths = counting(worked_out)
    names = ("x" * MEMO_MAX_CHARS, "y")
    assert lengths(names) == lengths(names) == (MEMO_MAX_CHARS, 1)
    assert worked_out == [names, names]


def test_the_memo_is_emptied_when_full(monkeypatch):
    monkeypatch.setattr(memo, "MEMO_MAX_ENTRIES", 2)
    worked_out: list = []
    lengths = counting(worked_out)
    for names in [("a",), ("b",), ("a",), ("c",), ("a",)]:
        lengths(names)
    # ("c",) found the memo full: it was emptied, so ("a",) is worked out again.
    assert worked_out == [("a",), ("b",), ("c",), ("a",)]
    assert MEMO_MAX_ENTRIES > 2
