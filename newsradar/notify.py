"""Delivering alert messages: e-mail through the configured SMTP server, everything else through Apprise URLs.

Each delivery in the ledger (db/alerts.py) is claimed before it is sent and marked sent after; a channel that fails
keeps it pending and is tried again after a backoff (1 minute, doubling up to an hour), for as long as it takes; the
health check names what is waiting. A sender that died mid-send leaves its delivery "uncertain": reported, not sent a
second time.
"""

from __future__ import annotations

import datetime as dt
import re
import smtplib
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate

from collectors import netguard
from db import alerts as store
from db.engine import Connection
from newsradar.config import Config

SMTP_TIMEOUT_S = 30.0
FIRST_RETRY_S = 60.0
LONGEST_RETRY_S = 3600.0
STALE_SENDING = dt.timedelta(minutes=10)   # far longer than one send may take (SMTP_TIMEOUT_S per step)
EMAIL = re.compile(r"^[^@\s<>,;:\"']+@[^@\s<>,;:\"'/]+\.[^@\s<>,;:\"'/]+$")


class DeliveryError(Exception):
    """A channel did not take the message; the text says why."""


def is_email(channel: str) -> bool:
    return "://" not in channel


def check_channel(channel: str, allow_private: bool) -> str:
    """The channel as stored (an e-mail address, or an Apprise URL Apprise understands whose host is not a private
    address unless allowed); ValueError saying what is wrong otherwise."""
    channel = channel.strip()
    if is_email(channel):
        if not EMAIL.match(channel):
            raise ValueError(f"“{channel}” is neither an e-mail address nor an Apprise URL (scheme://…)")
        return channel
    import apprise

    plugin = apprise.Apprise.instantiate(channel)
    if plugin is None:
        raise ValueError(f"“{channel}” is not an Apprise URL that Apprise understands (see its list of services)")
    _check_host(getattr(plugin, "host", None), allow_private)
    return channel


def _check_host(host: str | None, allow_private: bool) -> None:
    """Refuse a webhook pointed at this machine or the local network (as feeds are), unless allowed. A host that does
    not resolve (a service's token in the host's place, as in slack://) passes."""
    if not host or allow_private:
        return
    try:
        netguard.check_addresses(host, netguard.resolve(host))
    except netguard.Refused as exc:
        raise ValueError(f"refused: {exc}") from None


# sending ------------------------------------------------------------------------------------------------------

def send_email(config: Config, address: str, subject: str, body: str, message_id: str) -> None:
    if not config["alerts.smtp_host"]:
        raise DeliveryError("no mail server is set (alerts.smtp_host)")
    message = EmailMessage()
    # a header is one line: a topic's name or a query with a line break in it must not add headers
    message["From"], message["To"], message["Subject"] = config["alerts.smtp_from"], address, " ".join(subject.split())
    message["Date"], message["Message-ID"] = formatdate(usegmt=True), message_id
    message.set_content(body)
    host, port, tls = config["alerts.smtp_host"], config["alerts.smtp_port"], config["alerts.smtp_tls"]
    try:
        if tls == "tls":
            server = smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT_S, context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT_S)
        with server:
            if tls == "starttls":
                server.starttls(context=ssl.create_default_context())
            if config["alerts.smtp_user"]:
                server.login(config["alerts.smtp_user"], config["alerts.smtp_password"])
            server.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"mail server {host}:{port}: {exc}") from None


def send_apprise(url: str, subject: str, body: str, allow_private: bool) -> None:
    import apprise

    try:
        _check_host(getattr(apprise.Apprise.instantiate(url), "host", None), allow_private)
    except ValueError as exc:
        raise DeliveryError(str(exc)) from None
    notifier = apprise.Apprise()
    if not notifier.add(url):
        raise DeliveryError("not an Apprise URL that Apprise understands")
    with apprise.LogCapture(level=apprise.logging.WARNING, fmt="%(message)s") as log:
        ok = notifier.notify(title=subject, body=body, body_format=apprise.NotifyFormat.TEXT)
    if not ok:
        lines = [line.strip() for line in log.getvalue().splitlines() if line.strip()]
        raise DeliveryError(lines[-1] if lines else "the service did not take the message")


def send(config: Config, channel: str, subject: str, body: str, message_id: str) -> None:
    """One message to one channel; DeliveryError when it did not go."""
    if is_email(channel):
        send_email(config, channel, subject, body, message_id)
    else:
        send_apprise(channel, subject, body, bool(config["allow_private_networks"]))


def retry_delay(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(FIRST_RETRY_S * 2 ** max(attempts - 1, 0), LONGEST_RETRY_S))


def deliver_due(conn: Connection, config: Config, clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
                everything: bool = False, stop: Callable[[], bool] = lambda: False) -> tuple[int, int]:
    """Send the deliveries that are due (every pending one with `everything`) until `stop()`; (sent, failed)."""
    store.mark_stale_sending(conn, clock() - STALE_SENDING)
    sent = failed = 0
    for row in store.due_deliveries(conn, clock(), everything):
        # a stop (serve stopping) ends the run after the message in hand: the rest stay pending for the next start,
        # rather than going one by one to a slow channel until serve's grace period runs out and kills us mid-send
        if stop():
            break
        if not store.claim(conn, row["id"], clock()):
            continue
        try:
            send(config, row["channel"], row["subject"], row["body"], f"<newsradar.alert.{row['id']}@newsradar>")
        except Exception as exc:   # DeliveryError, or a service library's own: the message did not go
            store.mark_failed(conn, row["id"], str(exc), clock() + retry_delay(row["attempts"] + 1))
            failed += 1
        else:
            store.mark_sent(conn, row["id"], clock())
            sent += 1
    return sent, failed
