"""Delivery of alerts through a real SMTP server and a real HTTP server on localhost (no mock of
smtplib or urllib): sent once, failures recorded on the alert without secrets and retried next run."""

from __future__ import annotations

import datetime as dt
import email
from email import policy

import pytest
from sqlalchemy import text

from geo.store import accounts, alerts, alerts_run, ledger
from geo.store.alerts import AlertRefused
from geo.store.alerts_delivery import deliver
from geo.store.scope import Scope
from tests.conftest import TODAY
from tests.helpers import centre, small_city
from tests.mailserver import hook_server, smtp_server

PASSWORD = "Correct-horse-42x"
SECRET = "s3cret-Token-4711"


@pytest.fixture
def city(make_db, tmp_path):
    engine = make_db("sqlite")
    small_city(engine, tmp_path)
    accounts.add(engine, "admin", "clerk.d1", PASSWORD, "clerk", "D1")
    lon, lat = centre("C1")
    ledger.create_item(engine, "clerk.d1", "clerk", kind="hazard", title="loose drain cover", found_on=TODAY - dt.timedelta(days=20),
                       lon=lon, lat=lat, deadline=TODAY - dt.timedelta(days=2), scope=Scope.jurisdiction())
    return engine


def _subscribe(engine, **channels):
    with engine.connect() as conn:
        scope = Scope.of(conn, "D1")
    return alerts.subscribe(engine, "clerk.d1", "clerk", scope, "D1", "ledger", **channels)


def _alert(engine):
    with engine.connect() as conn:
        return conn.execute(text("SELECT * FROM alerts")).mappings().one()


def test_an_alert_is_mailed_and_posted_once(city, monkeypatch):
    with smtp_server() as (smtp_port, mails), hook_server() as (hook_port, hooks):
        monkeypatch.setenv("SAFEGRID_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("SAFEGRID_SMTP_PORT", str(smtp_port))
        monkeypatch.setenv("SAFEGRID_SMTP_FROM", "safegrid@ops.example")
        _subscribe(city, email="duty@unit.example", webhook=f"http://127.0.0.1:{hook_port}/hook/{SECRET}")
        assert alerts_run.run(city).raised == 1
        assert _alert(city)["delivery"] == "pending"
        assert deliver(city) == (1, 0)
        assert deliver(city) == (0, 0)  # sent: not again
    assert len(mails.messages) == 1 and len(hooks.messages) == 1
    mail = email.message_from_bytes(mails.messages[0]["data"], policy=policy.default)
    assert mails.messages[0]["to"] == ["<duty@unit.example>"] and mail["From"] == "safegrid@ops.example"
    body = mail.get_content()
    assert "overdue" in body and "逾期" in body and "D1" in body  # both languages, the place
    posted = hooks.messages[0]["json"]
    assert hooks.messages[0]["type"].startswith("application/json")
    assert (posted["rule"], posted["condition"], posted["area_code"]) == ("ledger", "overdue", "D1")
    assert posted["subject"].startswith("item:") and "clerk.d1" not in str(posted)  # events and places only
    row = _alert(city)
    assert (row["delivery"], row["attempts"], row["delivery_error"]) == ("sent", 1, None)


def test_a_failed_delivery_is_recorded_without_secrets_and_retried(city, monkeypatch):
    with hook_server() as (hook_port, hooks):
        hooks.status = 500
        monkeypatch.setenv("SAFEGRID_SMTP_PASSWORD", SECRET)
        _subscribe(city, webhook=f"http://127.0.0.1:{hook_port}/hook?token={SECRET}")
        alerts_run.run(city)
        assert deliver(city) == (0, 1)
        row = _alert(city)
        assert row["delivery"] == "failed" and row["attempts"] == 1 and "500" in row["delivery_error"]
        assert SECRET not in row["delivery_error"]
        hooks.status = 204
        summary = alerts_run.run(city)
        assert summary.raised == 0  # the alert is not raised again; its delivery is retried
        assert deliver(city) == (1, 0)
    assert len(hooks.messages) == 2 and _alert(city)["delivery"] == "sent"


def test_mail_refused_by_the_server_or_no_server_fails_and_gives_up_after_the_last_attempt(city, monkeypatch):
    with smtp_server() as (smtp_port, mails):
        mails.refuse = True
        monkeypatch.setenv("SAFEGRID_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("SAFEGRID_SMTP_PORT", str(smtp_port))
        _subscribe(city, email="duty@unit.example")
        alerts_run.run(city)
        assert deliver(city) == (0, 1)
        assert "e-mail" in _alert(city)["delivery_error"]
    monkeypatch.setenv("SAFEGRID_SMTP_HOST", "")
    for _ in range(10):
        deliver(city)
    row = _alert(city)
    assert row["attempts"] == 5 and "SAFEGRID_SMTP_HOST" in row["delivery_error"]


def test_a_webhook_that_answers_slowly_or_not_at_all_fails(city, monkeypatch):
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts the connection, never answers
    monkeypatch.setenv("SAFEGRID_WEBHOOK_TIMEOUT_S", "0.5")
    try:
        _subscribe(city, webhook=f"http://localhost:{listener.getsockname()[1]}/hook")
        alerts_run.run(city)
        assert deliver(city) == (0, 1)
    finally:
        listener.close()
    assert "webhook" in _alert(city)["delivery_error"]


@pytest.mark.parametrize("url", ["http://example.org/hook", "ftp://127.0.0.1/x", "https://user:pw@example.org/h",
                                 "javascript:alert(1)", "https:///nohost"])
def test_webhook_addresses_are_https_or_local(url):
    with pytest.raises(AlertRefused):
        alerts.check_webhook(url)


@pytest.mark.parametrize("address", ["no-at-sign", "a@b", "a@b.c\r\nBcc: x@y.z", "a@b.c, d@e.f"])
def test_mailboxes_are_single_plain_addresses(address):
    with pytest.raises(AlertRefused):
        alerts.check_email(address)
