"""The named folds: what each one sets aside and what it keeps."""

from __future__ import annotations

import unicodedata

from mediakeeper.text.fold import caseless, fold, name_key, unaccented, words

NFD_BJORK = unicodedata.normalize("NFD", "Björk")


def test_caseless_sets_case_and_accent_encoding_aside_but_keeps_accents():
    assert caseless(NFD_BJORK) == caseless("BJÖRK") == "björk"
    assert caseless("Bjork") != caseless("Björk")
    assert caseless("Straße") == "strasse"
    assert caseless("  The  Band ") == "  the  band "  # spacing is the caller's


def test_unaccented_takes_accents_off_and_leaves_other_letters():
    assert unaccented("Björk") == unaccented(NFD_BJORK) == "bjork"
    assert unaccented("Mø") == "mø" and unaccented("Hævnen") == "hævnen"
    assert unaccented("AC/DC") == "ac/dc"


def test_fold_spells_letters_out_as_an_ascii_search_does():
    assert fold("Hævnen") == "haevnen" and fold("Mø") == "mo" and fold("Łódź") == "lodz"
    assert fold(NFD_BJORK) == "bjork"
    assert fold("Sigur  Rós") == "sigur  ros"  # spacing and punctuation kept


def test_name_key_sets_spacing_aside_and_keeps_punctuation():
    assert name_key("  Sigur   Rós ") == name_key("sigur ros") == "sigur ros"
    assert name_key("AC/DC") != name_key("AC DC")
    assert name_key("MOTÖRHEAD") == "motorhead"
    # A folder name's stand-in for "/" is the "/" every page shows and a person types.
    assert name_key("AC\u29f8DC") == name_key("ac/dc") == fold("AC\u29f8DC") == "ac/dc"


def test_words_sets_punctuation_aside_and_reads_an_ampersand_as_and():
    assert words("AC/DC & Friends") == "ac dc and friends"
    assert words("  Star Wars: Episode IV ") == words("star wars - episode iv")
    assert words("Schindler's List") == "schindler s list"
    assert words("Schindler’s List", join_apostrophes=True) == "schindlers list"
    assert words("a_b") == "a_b"  # an underscore is a word character
