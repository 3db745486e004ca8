"""Decisions asked once for many: open decisions gathered into groups (the same question in
many items), a group decided in one session that undo takes back whole, and the rules a
person records so later batches settle a code's findings without asking; and duplicate
groups, whose choice is which copy to keep (``dupes``, ``copies``).

What a decision is and how it is counted stays ``mediakeeper.core.decisions``' one
definition; one item's decisions and the writing of a choice stay ``decisions.item``'s.
"""
