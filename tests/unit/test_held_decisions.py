"""The open decisions held item by item (``decisions.listing``): whatever order items come,
change, go and come back in, each group's count and items are those a fresh reading of the
items as they are now makes, and the failed and skipped items are listed as their queue
holds them."""

from __future__ import annotations

import random

from mediakeeper.decisions.listing import HeldDecisions


def item(key, name=None, status="completed", open_=(), failed=""):
    counts = {code: [n, 0] for code, n in open_}
    return {"key": key, "name": name or key, "status": status, "last_error": failed,
            "details": {"finding_counts": counts}}  # fmt: skip


def listed(held: HeldDecisions) -> dict:
    shown = held.as_json()
    return {"total": shown["total"],
            "groups": [(g["code"], g["count"], g["items"]) for g in shown["groups"]],
            "outstanding": [(o["status"], o["items"]) for o in shown.get("outstanding", [])]}


def test_a_group_kept_as_items_change_is_the_group_read_afresh(tmp_path):
    # Names alike but for case, whose order the ties decide; a failed and a skipped item.
    names = ["ABBA", "abba", "Blur", "blur", "Cream", "Doves", "Elbow", "elbow", "Faust"]
    codes = ["missing-year", "track-gap", "whitespace", "unreadable-file"]
    shuffle = random.Random(70)
    held, now = HeldDecisions(tmp_path), {}
    for step in range(400):
        key = shuffle.choice(names) + ("" if step % 3 else " (2)")
        if now.get(key) is not None and shuffle.random() < 0.15:
            held.gone("music", key)
            del now[key]
            continue
        status = shuffle.choice(["completed"] * 4 + ["error", "skipped", "pending"])
        asked = [(c, shuffle.randint(1, 3)) for c in shuffle.sample(codes, shuffle.randint(0, 3))]
        now[key] = item(key, key.split(" (")[0], status, asked, "scan: gone")
        held.seen("music", now[key])
        if step % 40 == 39:
            fresh = HeldDecisions(tmp_path)
            for one in now.values():
                fresh.seen("music", one)
            assert listed(held) == listed(fresh), step
    assert held.as_json()["total"] > 0  # something was asked at the end


def test_an_item_seen_again_unchanged_changes_nothing(tmp_path):
    held = HeldDecisions(tmp_path)
    held.seen("music", item("Abba", open_=[("missing-year", 2)]))
    version, first = held.version, held.as_json()
    held.seen("music", item("Abba", open_=[("missing-year", 2)]))
    assert held.version == version and held.as_json()["groups"] == first["groups"]
    held.seen("music", item("Abba"))  # its question settled
    assert held.as_json()["total"] == 0 and held.version == version + 1


def test_two_items_of_one_name_keep_their_own_places_whatever_went_between(tmp_path):
    held = HeldDecisions(tmp_path)
    asked = [("missing-year", 1)]
    for key in ("a", "Same 1", "b", "c"):
        held.seen("music", item(key, "Same" if key.startswith("Same") else key, open_=asked))
    for key in ("a", "b", "c"):
        held.gone("music", key)
    held.seen("music", item("Same 2", "Same", open_=asked))  # after every other went
    [group] = held.as_json()["groups"]
    assert group["items"] == ["Same", "Same"] and group["count"] == 2
