"""Delivery of raised alerts: e-mail through the deployment's SMTP server, and webhooks (POST of JSON).

An alert whose subscription names a mailbox or a webhook is raised ``pending``; :func:`deliver` sends
every ``pending`` or ``failed`` one (up to ``geo.core.alerts.MAX_ATTEMPTS`` attempts each, one per run)
and records the outcome on the alert: ``sent``, or ``failed`` with a short reason that never holds
the SMTP password or the webhook's address (which may carry a token). A failed delivery never undoes
the alert, nor the import that triggered the run.

A webhook is https, or http to this machine only (``geo.store.alerts.check_webhook``); redirects are
not followed. Message texts come from the catalogue (``data/i18n.json``), in Chinese and English.
"""

from __future__ import annotations

import json
import os
import smtplib
import ssl
import urllib.error
import urllib.request
from email.message import EmailMessage
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine

from geo.core import alerts as rules
from geo.core import clock
from geo.store.alerts import check_webhook
from geo.store.models import Alert, AlertSubscription

ALERTS = Alert.__table__
SUBS = AlertSubscription.__table__
CATALOGUE = Path(__file__).resolve().parents[2] / "data" / "i18n.json"
ERROR_CHARS = 300

# (name, default, help): the README lists them (geo.ui.config.SETTINGS includes these)
SETTINGS = (
    ("SAFEGRID_SMTP_HOST", "", "SMTP server that alert e-mails go through; empty: no e-mail"),
    ("SAFEGRID_SMTP_PORT", "25", "port of the SMTP server"),
    ("SAFEGRID_SMTP_USER", "", "SMTP user name (empty: no log-in)"),
    ("SAFEGRID_SMTP_PASSWORD", "", "SMTP password (never logged)"),
    ("SAFEGRID_SMTP_FROM", "safegrid@localhost", "sender address of alert e-mails"),
    ("SAFEGRID_SMTP_STARTTLS", "0", "1: switch the SMTP connection to TLS (STARTTLS) before logging in"),
    ("SAFEGRID_WEBHOOK_TIMEOUT_S", "5", "seconds an alert webhook may take to answer"),
)
_DEFAULTS = {name: default for name, default, _ in SETTINGS}


def setting(name: str) -> str:
    return os.environ.get(name, _DEFAULTS[name])


class DeliveryFailed(RuntimeError):
    """A channel that did not take the alert, with a reason safe to keep."""


@lru_cache(maxsize=1)
def _catalogue() -> dict:
    return json.loads(CATALOGUE.read_text(encoding="utf-8"))


def describe(alert, lang: str) -> str:
    """One line about the alert in ``lang``: rule, condition, area, subject, figures (places and events only)."""
    cat = _catalogue()
    rule = cat.get(f"alerts.rule.{alert.rule}", {}).get(lang, alert.rule)
    cond = cat.get(f"alerts.cond.{alert.condition}", {}).get(lang, alert.condition)
    figures = " / ".join(f"{v:g}" for v in (alert.value, alert.threshold) if v is not None)
    return f"[{rule}] {alert.area_code} {alert.subject}: {cond}" + (f" ({figures})" if figures else "") + \
        (f" — {alert.detail}" if alert.detail else "")


def payload(alert) -> dict:
    return {"id": alert.id, "rule": alert.rule, "area_code": alert.area_code, "subject": alert.subject,
            "condition": alert.condition, "value": alert.value, "threshold": alert.threshold, "period": alert.period,
            "raised_at": alert.raised_at.isoformat() if hasattr(alert.raised_at, "isoformat") else str(alert.raised_at),
            "detail": alert.detail, "text_zh": describe(alert, "zh"), "text_en": describe(alert, "en")}


def send_email(to: str, alert) -> None:
    host = setting("SAFEGRID_SMTP_HOST").strip()
    if not host:
        raise DeliveryFailed("no SMTP server is set (SAFEGRID_SMTP_HOST)")
    msg = EmailMessage()
    msg["From"], msg["To"] = setting("SAFEGRID_SMTP_FROM"), to
    msg["Subject"] = f"SafeGrid: {describe(alert, 'en')}"[:200]
    msg.set_content(f"{describe(alert, 'zh')}\n{describe(alert, 'en')}\n")
    try:
        with smtplib.SMTP(host, int(setting("SAFEGRID_SMTP_PORT")), timeout=float(setting("SAFEGRID_WEBHOOK_TIMEOUT_S"))) as smtp:
            if setting("SAFEGRID_SMTP_STARTTLS").strip() == "1":
                smtp.starttls(context=ssl.create_default_context())
            if setting("SAFEGRID_SMTP_USER"):
                smtp.login(setting("SAFEGRID_SMTP_USER"), setting("SAFEGRID_SMTP_PASSWORD"))
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException, ValueError) as exc:
        raise DeliveryFailed(f"e-mail: {type(exc).__name__}: {exc}") from None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def post_webhook(url: str, alert) -> None:
    url = check_webhook(url)
    body = json.dumps(payload(alert), ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=float(setting("SAFEGRID_WEBHOOK_TIMEOUT_S"))) as answer:
            if not 200 <= answer.status < 300:
                raise DeliveryFailed(f"webhook: answered {answer.status}")
    except urllib.error.HTTPError as exc:
        raise DeliveryFailed(f"webhook: answered {exc.code}") from None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryFailed(f"webhook: {type(exc).__name__}: {reason}") from None


def _scrub(message: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret:
            message = message.replace(secret, "***")
    return message[:ERROR_CHARS]


def deliver(engine: Engine) -> tuple[int, int]:
    """Send every alert waiting for delivery; returns (sent, failed). Each outcome is committed alone."""
    a, s = ALERTS.c, SUBS.c
    with engine.connect() as conn:
        waiting = conn.execute(select(ALERTS, s.email, s.webhook).join(SUBS, s.id == a.subscription_id).where(
            a.delivery.in_(["pending", "failed"]), a.attempts < rules.MAX_ATTEMPTS).order_by(a.id)).all()
    sent = failed = 0
    for alert in waiting:
        errors = []
        for channel, target, send in (("email", alert.email, send_email), ("webhook", alert.webhook, post_webhook)):
            if not target:
                continue
            try:
                send(target, alert)
            except DeliveryFailed as exc:
                errors.append(_scrub(str(exc), [setting("SAFEGRID_SMTP_PASSWORD"), alert.webhook or ""]))
        values = {"attempts": alert.attempts + 1}
        if errors:
            values.update(delivery="failed", delivery_error="; ".join(errors)[:ERROR_CHARS])
            failed += 1
        else:
            values.update(delivery="sent", delivery_error=None, delivered_at=clock.now_utc())
            sent += 1
        with engine.begin() as conn:
            conn.execute(ALERTS.update().where(a.id == alert.id).values(**values))
    return sent, failed
