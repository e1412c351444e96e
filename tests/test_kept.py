from mailing.kept import Kept


def test_a_kept_store_drops_its_oldest_entry_beyond_its_limit():
    kept: Kept[str, int] = Kept(2)
    kept.keep("a", 1)
    kept.keep("b", 2)
    kept.keep("a", 3)  # stored again: the newest now
    kept.keep("c", 4)

    assert list(kept.items()) == [("a", 3), ("c", 4)]
    kept.forget("a")
    assert list(kept) == ["c"]
    kept.forget_all()
    assert len(kept) == 0
