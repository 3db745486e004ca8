"""How a name says which disc of a set it is: "CD1", "Disc 2", "disk_03", "Disc 1 of 2".

One pattern for the places that read it, so that a name read as a disc in one is read as
the same disc in the other: a disc folder's name (``scan.disc_number``, "Album/CD2") and an
album name's suffix (``fixplan.disc_suffix``, "The Wall (Disc 2)"); an audiobook's part
folders (``BOOK_PART``) start with the same words.
"""

# "cd", "disc" or "disk", a separator or none, the disc's number (group ``disc``), perhaps the
# set's size ("of 2", "/2"). Up to three digits: box sets run to a hundred discs and more,
# and a year ("CD1999") is never a disc number. Callers compile it case-insensitively.
DISC_WORD = r"cd|dis[ck]"
DISC = rf"(?:{DISC_WORD})[\s._-]*(?P<disc>\d{{1,3}})(?:\s*(?:of|/)\s*\d{{1,3}})?"

# A folder of a book's that is one of its discs or parts ("CD1", "Disc 2", "Part 3", German
# "Teil 2"): the book's, not a book of its own (audiobooks' finder). Matched at the name's start.
BOOK_PART = rf"(?:{DISC_WORD}|part|teil)[\s._-]*\d+\b"
