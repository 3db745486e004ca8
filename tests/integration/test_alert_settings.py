"""The blank-token mistake in the alerts' neighbourhood (issue 69, point 12): a webhook URL
or an Apprise URL of white space was taken as set, and every alert went nowhere ("not
reached"). Such a setting is refused when it is read, in one line that never shows it."""

from __future__ import annotations

import pytest

from tests.integration.serving import script

SECRET = "SECRET-IN-URL"


@pytest.fixture
def home(tmp_path):
    home = tmp_path / "home"
    (home / "status").mkdir(parents=True)
    return home


@pytest.mark.parametrize("url", ["   ", "\t", f"hooks.example/{SECRET}", f"ftp://h/{SECRET}",
                                 f"http:///{SECRET}", f" https://h.example/?key={SECRET}",
                                 f"http://[{SECRET}/"])  # fmt: skip
def test_a_webhook_that_is_no_url_is_refused_unshown(home, url):
    sent = script("alerts", "test", "--home", home,
                  env={"MEDIAKEEPER_ALERTS_WEBHOOK_URL": url})  # fmt: skip
    assert sent.returncode == 2, sent.stdout + sent.stderr
    lines = sent.stderr.strip().splitlines()
    assert len(lines) == 1 and "WEBHOOK_URL" in lines[0] and "https://" in lines[0], lines
    assert SECRET not in sent.stdout + sent.stderr and "Traceback" not in sent.stderr


def test_a_blank_apprise_url_is_refused_unshown(home):
    (home / "mediakeeper.toml").write_text(
        f'[alerts]\napprise = ["ntfys://ntfy.sh/{SECRET}", "  "]\n', encoding="utf-8"
    )
    sent = script("alerts", "test", "--home", home)
    assert sent.returncode == 2, sent.stdout + sent.stderr
    lines = sent.stderr.strip().splitlines()
    assert len(lines) == 1 and "alerts.apprise" in lines[0], lines
    assert SECRET not in sent.stderr
