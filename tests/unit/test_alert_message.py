"""An alert as a person reads it on a phone (Apprise's text) and as a program reads it (the
webhook's JSON): the failure in a person's words in the one, as recorded in the other."""

from __future__ import annotations

from pathlib import Path

from mediakeeper.batch.alerts import AlertWatch, alert_payload
from mediakeeper.batch.apprise_send import message
from mediakeeper.batch.report import Outcome

RECORDED = ("does not decode: file:/home/u/Media Kept/working/conversions/ok-computer-c5c2/"
            "_source/07 - Fitter Happier.ogg: End of file; MD5 "
            "f1f62466079d50a485fc3a1182beab5a")  # fmt: skip


def test_the_notification_says_the_file_and_the_webhook_keeps_the_record():
    payload = alert_payload(Path("/home/u/mk"), "conversions", 3,
                            [{"item": "Radiohead/1997 - OK Computer", "stage": "converting",
                              "message": RECORDED}])  # fmt: skip
    title, body = message(payload)
    assert title == "mediakeeper: 3 conversions items failed in a row"
    assert body.splitlines()[0] == ("Radiohead/1997 - OK Computer (converting): does not "
                                    "decode: 07 - Fitter Happier.ogg: End of file; MD5 "
                                    "f1f62466…")  # fmt: skip
    assert payload["errors"][0]["message"] == RECORDED  # the program's: whole


def test_a_name_or_an_error_with_a_line_feed_keeps_to_its_line(tmp_path):
    """A file named in the error with a line feed broke the notification's line and the
    batch's ALERT line: each names it as every terminal line does (Bad\\x0aName.flac)."""
    failed = "does not decode: 02 Bad\nName.flac: End of file"
    (tmp_path / "status" / "music").mkdir(parents=True)  # as the batch has it
    watch = AlertWatch(tmp_path, "music", threshold=1)
    line = watch.heard(Outcome("k", "Twin\nPeaks", "error", error=failed, stage="reading"))
    shown = "does not decode: 02 Bad\\x0aName.flac: End of file"
    assert line == f"ALERT: 1 music items failed in a row (last: Twin\\x0aPeaks: {shown})"
    _, body = message(alert_payload(Path("/home/u/m\nk"), "music", 1,
                                        [{"item": "Twin\nPeaks", "stage": "reading",
                                          "message": failed}]))  # fmt: skip
    assert body.splitlines() == [f"Twin\\x0aPeaks (reading): {shown}", "Data home: /home/u/m\\x0ak"]
    resolved = watch.heard(Outcome("k", "Twin\nPeaks", "completed"))
    assert resolved == "Resolved: Twin\\x0aPeaks completed after 1 failed music items"


def test_a_name_that_mentions_everyone_mentions_nobody():
    """A track titled "@everyone" (or a folder "<@1234>") in an alert rang every member of a
    Discord server: Apprise's Discord plugin reads mentions out of the body, and Discord pings
    what its content names. The names read the same, with no mention a service can see."""
    import apprise

    payload = alert_payload(Path("/home/u/mk"), "music", 3,
                            [{"item": "@everyone", "stage": "reading", "message": "bad"},
                             {"item": "<@1234> and <@&99> @here", "stage": "reading",
                              "message": "mail me at me@example.org"}])  # fmt: skip
    title, body = message(payload)
    discord = apprise.Apprise.instantiate("discord://1234567/abcdefg/")
    assert discord.ping_payload(title, body) == {}  # nothing Discord would ping
    assert discord.ping_payload("@everyone <@1234>") != {}  # (as it would here)
    shown = body.replace("\u2060", "")
    assert shown.splitlines()[:2] == ["@everyone (reading): bad",
                                      "<@1234> and <@&99> @here (reading): mail me at "
                                      "me@example.org"]  # fmt: skip
