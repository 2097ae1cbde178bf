"""The suggestion cache: repeated positions and typing into a suggestion."""

from __future__ import annotations

from server.completion_cache import CompletionCache, typed_forward

TEXT = "def f(x):\n    return \n\nprint(f(2))\n"
CURSOR = TEXT.index("return ") + len("return ")


def test_repeated_position_is_served() -> None:
    cache = CompletionCache()
    cache.store("a", TEXT, CURSOR, "x * 2", now=0.0)
    assert cache.lookup("a", TEXT, CURSOR, now=1.0) == "x * 2"
    assert cache.hits == 1


def test_typing_into_the_suggestion_serves_the_rest() -> None:
    cache = CompletionCache()
    cache.store("a", TEXT, CURSOR, "x * 2", now=0.0)
    typed = TEXT[:CURSOR] + "x *" + TEXT[CURSOR:]
    assert cache.lookup("a", typed, CURSOR + 3, now=1.0) == " 2"


def test_typing_something_else_misses() -> None:
    cache = CompletionCache()
    cache.store("a", TEXT, CURSOR, "x * 2", now=0.0)
    typed = TEXT[:CURSOR] + "y" + TEXT[CURSOR:]
    assert cache.lookup("a", typed, CURSOR + 1, now=1.0) is None
    assert cache.misses == 1


def test_fully_typed_suggestion_is_not_served_again() -> None:
    cache = CompletionCache()
    cache.store("a", TEXT, CURSOR, "x", now=0.0)
    typed = TEXT[:CURSOR] + "x" + TEXT[CURSOR:]
    assert cache.lookup("a", typed, CURSOR + 1, now=1.0) is None


def test_changed_text_after_cursor_misses() -> None:
    cache = CompletionCache()
    cache.store("a", TEXT, CURSOR, "x * 2", now=0.0)
    changed = TEXT.replace("print(f(2))", "print(f(3))")
    assert cache.lookup("a", changed, CURSOR, now=1.0) is None


def test_changed_text_before_cursor_misses() -> None:
    cache = CompletionCache()
    cache.store("a", TEXT, CURSOR, "x * 2", now=0.0)
    changed = TEXT.replace("def f(x)", "def g(x)")
    assert cache.lookup("a", changed, CURSOR, now=1.0) is None


def test_entries_expire_and_are_per_document() -> None:
    cache = CompletionCache(ttl_s=10)
    cache.store("a", TEXT, CURSOR, "x * 2", now=0.0)
    assert cache.lookup("b", TEXT, CURSOR, now=1.0) is None
    assert cache.lookup("a", TEXT, CURSOR, now=11.0) is None


def test_forget_and_bounds() -> None:
    cache = CompletionCache(per_document=2, documents=2)
    for i in range(3):
        cache.store(f"doc{i}", TEXT, CURSOR, "x", now=0.0)
    assert cache.lookup("doc0", TEXT, CURSOR, now=0.0) is None
    assert cache.lookup("doc2", TEXT, CURSOR, now=0.0) == "x"
    cache.forget("doc2")
    assert cache.lookup("doc2", TEXT, CURSOR, now=0.0) is None


def test_typed_forward_only_for_insertions_at_the_cursor() -> None:
    old = "def f(x):\n    return \n"
    at = old.index("return ") + len("return ")
    assert typed_forward(old, at, old[:at] + "x" + old[at:])
    assert typed_forward(old, at, old[:at] + "x + 1" + old[at:])
    assert not typed_forward(old, at, old)  # nothing typed
    assert not typed_forward(old, at, old[: at - 1] + old[at:])  # a deletion
    assert not typed_forward(old, at, "# note\n" + old)  # typed elsewhere
    assert not typed_forward(old, at, "# c\n" + old[:at] + "x" + old[at:])  # and elsewhere


def test_candidates_stored_together_serve_the_first_and_any_typed_into() -> None:
    cache = CompletionCache()
    cache.store_many("a", TEXT, CURSOR, ["x * 2", "x + 1", "x * 2", ""], now=0.0)
    assert cache.lookup("a", TEXT, CURSOR, now=1.0) == "x * 2"
    assert cache.lookup_all("a", TEXT, CURSOR, now=1.0) == ["x * 2", "x + 1"]
    typed = TEXT[:CURSOR] + "x +" + TEXT[CURSOR:]
    assert cache.lookup("a", typed, CURSOR + 3, now=1.0) == " 1"
    assert cache.lookup_all("a", typed, CURSOR + 3, now=1.0) == [" 1"]


def test_a_new_suggestion_at_the_same_place_replaces_the_candidates() -> None:
    cache = CompletionCache()
    cache.store_many("a", TEXT, CURSOR, ["x * 2", "x + 1"], now=0.0)
    cache.store("a", TEXT, CURSOR, "x - 3", now=1.0)
    assert cache.lookup_all("a", TEXT, CURSOR, now=2.0) == ["x - 3"]
