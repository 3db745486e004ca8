"""An alert as a person reads it on a phone (Apprise's text) and as a program reads it (the
webhook's JSON): the failure in a person's words in the one, as recorded in the other."""

from __future__ import annotations

from pathlib import Path

from mediakeeper.batch.alerts import alert_payload
from mediakeeper.batch.apprise_send import message

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
