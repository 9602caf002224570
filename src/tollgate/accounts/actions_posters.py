"""The actions that tell the outside world: ``*log``, ``*http_post``, ``*http_post_async``,
``*post_event``, ``*mail_async`` and the queue posters ``*amqp_json_map``,
``*sqs_json_map`` and ``*s3_json_map``.

What they send is the account as JSON (``engine.Account`` as it marshals), or the run's
extra data when there is no account. HTTP posts follow CGRateS's ``HTTPPoster``:
``general.poster_attempts`` tries with a growing pause, a status above 299 is a failure,
and a post that still fails is written to ``general.failed_posts_dir`` (unless ``*none``)
instead of failing the action. Mail goes through the ``mailer`` section's SMTP server in
the background, five tries, as CGRateS's ``mailAsync``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import smtplib
import ssl
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, Protocol

import aiohttp
import msgspec

from tollgate.accounts.actions_balance import RunState
from tollgate.accounts.models import Account
from tollgate.core.config import Config
from tollgate.core.errors import TollgateError
from tollgate.core.wire import encode
from tollgate.posters import (
    AMQP_FORMATS,
    S3_FORMATS,
    SQS_FORMATS,
    AMQPPoster,
    AWSPoster,
)
from tollgate.rpc.pool import ConnManager

__all__ = [
    "POSTER_ACTIONS",
    "ActionHost",
    "account_json",
    "deliver",
    "post_json",
    "queue_sender",
    "send_mail",
]

logger = logging.getLogger(__name__)

_NONE = "*none"
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class ActionHost(Protocol):
    """What the side-effect actions need from the ActionService."""

    def cfg(self) -> Config: ...

    def conn_manager(self) -> ConnManager: ...

    async def http_session(self) -> aiohttp.ClientSession: ...

    def amqp(self) -> AMQPPoster: ...

    def aws(self) -> AWSPoster: ...

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None: ...


def account_json(acc: Account) -> bytes:
    """The account as ``json.Marshal(engine.Account)`` writes it."""
    return encode(acc)


def _one_data(state: RunState) -> bytes:
    """``getOneData``: the account, else the extra data, as JSON."""
    if state.account is not None:
        return account_json(state.account)
    return encode(state.extra_data)


async def _fib_pause(attempt: int) -> None:
    """CGRateS's ``utils.Fib()`` pauses between post attempts: 1s, 1s, 2s, 3s, 5s..."""
    a, b = 1, 1
    for _ in range(attempt):
        a, b = b, a + b
    await asyncio.sleep(a)


async def post_json(
    host: ActionHost,
    url: str,
    body: bytes,
    *,
    module: str,
    content_type: str = "application/json",
    attempts: int | None = None,
    failed_dir: str | None = None,
    transport: str = "*http_json",
) -> None:
    """POST ``body`` as JSON to ``url``; after the last failed attempt keep it in the failed
    posts dir (and succeed) or raise, as ``HTTPPoster.Post`` and ``addFailedPost`` do.

    The CDR exporters pass their own content type, attempts, folder (``*none``: raise)
    and transport; the actions use ``general.poster_attempts`` and ``failed_posts_dir``."""
    general = host.cfg().general
    timeout = aiohttp.ClientTimeout(total=general.reply_timeout / 1e9 or None)
    verify: bool | ssl.SSLContext = not general.http_skip_tls_verify

    async def send() -> None:
        session = await host.http_session()
        async with session.post(
            url,
            data=body,
            headers={"Content-Type": content_type},
            timeout=timeout,
            ssl=verify,
        ) as resp:
            await resp.read()
            if resp.status > 299:
                raise TollgateError(f"unexpected status code received: {resp.status}")

    await deliver(
        host,
        send,
        url,
        body,
        module=module,
        attempts=attempts,
        failed_dir=failed_dir,
        transport=transport,
        poster="HTTPPoster",
    )


async def deliver(
    host: ActionHost,
    send: Callable[[], Awaitable[None]],
    url: str,
    body: bytes,
    *,
    module: str,
    attempts: int | None = None,
    failed_dir: str | None = None,
    transport: str = "*http_json",
    poster: str = "HTTPPoster",
) -> None:
    """Run ``send`` up to ``attempts`` times (``general.poster_attempts`` when None) with
    CGRateS's growing pauses; when every attempt failed keep ``body`` in the failed posts
    folder (``general.failed_posts_dir`` when None) and return, or raise TollgateError
    when the folder is ``*none``. Shared by the HTTP and the AMQP posters."""
    general = host.cfg().general
    attempts = max(general.poster_attempts if attempts is None else attempts, 1)
    folder = general.failed_posts_dir if failed_dir is None else failed_dir
    error: Exception | None = None
    for attempt in range(attempts):
        try:
            await send()
            return
        except (aiohttp.ClientError, TimeoutError, TollgateError, ValueError) as exc:
            error = exc
            logger.warning("<%s> posting to %s, attempt %d: %s", poster, url, attempt + 1, exc)
        if attempt + 1 < attempts:
            await _fib_pause(attempt)
    text = str(error) or type(error).__name__
    if folder == _NONE:
        raise TollgateError(text)
    await asyncio.to_thread(_keep_failed, folder, url, module, body, transport)


def _keep_failed(
    folder: str, url: str, module: str, body: bytes, transport: str = "*http_json"
) -> None:
    """Write a post that could not be delivered where ``failed_posts_dir`` says."""
    record = {"Path": url, "Format": transport, "Module": module, "Body": body.decode()}
    path = Path(folder) / f"{module.replace('>', '_')}_{uuid.uuid4().hex}.json"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(msgspec.json.encode(record))
    except OSError as exc:
        logger.error("could not keep the failed post to %s in %s: %s", url, folder, exc)
    else:
        logger.warning("failed post to %s kept in %s", url, path)


async def _log(host: ActionHost, state: RunState, index: int) -> None:
    if state.account is not None:
        logger.info("LOG Account: %s", account_json(state.account).decode())
    elif state.extra_data is not None:
        logger.info("LOG ExtraData: %s", encode(state.extra_data).decode())


async def _http_post(host: ActionHost, state: RunState, index: int) -> None:
    action = state.actions[index]
    await post_json(
        host, action.extra_parameters, _one_data(state), module=f"act>{action.action_type}"
    )


async def _http_post_async(host: ActionHost, state: RunState, index: int) -> None:
    action = state.actions[index]
    body = _one_data(state)

    async def post() -> None:
        try:
            await post_json(host, action.extra_parameters, body, module=f"act>{action.action_type}")
        except TollgateError as exc:
            logger.warning("<%s> posting to %s: %s", action.action_type, action.extra_parameters,
                           exc)  # fmt: skip

    host.spawn(post())


async def _post_event(host: ActionHost, state: RunState, index: int) -> None:
    """``postEvent``: the extra data (the event that ran the actions) as JSON."""
    action = state.actions[index]
    await post_json(
        host,
        action.extra_parameters,
        encode(state.extra_data),
        module=f"act>{action.action_type}",
    )


# -- mail ------------------------------------------------------------------------------------


def _go_now() -> str:
    """``time.Now()`` as Go's ``%s`` prints it: ``2006-01-02 15:04:05.999999999 -0700 MST``."""
    now = dt.datetime.now().astimezone()
    frac = f"{now.microsecond:06d}".rstrip("0")
    stamp = now.strftime("%Y-%m-%d %H:%M:%S") + (f".{frac}" if frac else "")
    return f"{stamp} {now.strftime('%z')} {now.tzname() or ''}".rstrip()


def _mail_message(acc: Account | None, to_text: str) -> bytes:
    if acc is None:
        return b""  # CGRateS sends an empty message when no account ran the action
    return (
        f"To: {to_text}\r\nSubject: [CGR Notification] Threshold hit on Balance: {acc.ID}"
        f"\r\n\r\nTime: \r\n\t{_go_now()}\r\n\r\nBalance:\r\n\t"
        f"{account_json(acc).decode()}\r\n\r\nYours faithfully,\r\nCGR Balance Monitor\r\n"
    ).encode()


def send_mail(
    server: str, *, user: str, password: str, sender: str, to: list[str], message: bytes
) -> None:
    """``smtp.SendMail`` with ``smtp.PlainAuth``: STARTTLS when offered, AUTH PLAIN when the
    server offers it over TLS or on localhost. Blocking: run it in a thread."""
    host, sep, port = server.rpartition(":")
    if not sep or not port.isdigit():
        raise TollgateError(f"address {server}: missing port in address")
    with smtplib.SMTP(host.strip("[]"), int(port), timeout=30) as smtp:
        smtp.ehlo()
        secure = False
        if smtp.has_extn("starttls"):
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
            secure = True
        if user and smtp.has_extn("auth"):
            if not secure and host.strip("[]") not in _LOCAL_HOSTS:
                raise TollgateError("unencrypted connection")
            smtp.login(user, password)
        smtp.sendmail(sender, to, message)


async def _mail_async(host: ActionHost, state: RunState, index: int) -> None:
    """``mailAsync``: ExtraParameters ``to1;to2,...``; sent in the background, 5 tries."""
    action = state.actions[index]
    params = action.extra_parameters.split(",")
    to = params[0].split(";")
    mailer = host.cfg().mailer
    message = _mail_message(state.account, ", ".join(to))
    account_id = state.account.ID if state.account is not None else ""

    async def deliver() -> None:
        for attempt in range(5):  # best effort, as CGRateS: waits 0, 1, 2, 3 minutes
            try:
                await asyncio.to_thread(
                    functools.partial(
                        send_mail,
                        mailer.server,
                        user=mailer.auth_user,
                        password=mailer.auth_password,
                        sender=mailer.from_address,
                        to=to,
                        message=message,
                    )
                )
                return
            except (OSError, smtplib.SMTPException, TollgateError) as exc:
                if attempt == 4:
                    logger.warning(
                        "<Triggers> WARNING: Failed emailing, params: [%s], error: [%s], "
                        "BalanceId: %s", action.extra_parameters, exc, account_id,
                    )  # fmt: skip
                    return
                logger.debug("mail to %s, attempt %d: %s", to, attempt + 1, exc)
            await asyncio.sleep(60 * attempt)

    host.spawn(deliver())


def queue_sender(
    host: ActionHost, transport: str, url: str, body: bytes, *, content_type: str, key: str = ""
) -> tuple[Callable[[], Awaitable[None]], str] | None:
    """What sends ``body`` for a queue ``transport`` (``*amqp_json_*``, ``*sqs_json_map``,
    ``*s3_json_map``: the object ``key``, a new UUID when empty) and the poster's name for
    logs; None for the HTTP transports."""
    if transport in AMQP_FORMATS:

        async def amqp() -> None:
            await host.amqp().publish(url, body, content_type=content_type)

        return amqp, "AMQPPoster"
    if transport in SQS_FORMATS:

        async def sqs() -> None:
            await host.aws().send_sqs(url, body)

        return sqs, "SQSPoster"
    if transport in S3_FORMATS:
        name = key or uuid.uuid4().hex

        async def s3() -> None:
            await host.aws().put_s3(url, body, name)

        return s3, "S3Poster"
    return None


async def _queue_post(host: ActionHost, state: RunState, index: int) -> None:
    """``*amqp_json_map``, ``*sqs_json_map``, ``*s3_json_map``: the account (or the extra
    data) as JSON to the queue or bucket the ExtraParameters URL names, with
    ``general.poster_attempts``; kept in the failed posts folder when it cannot be
    delivered, as ``*http_post`` does."""
    action = state.actions[index]
    url = action.extra_parameters
    body = _one_data(state)
    sender = queue_sender(host, action.action_type, url, body, content_type="application/json")
    assert sender is not None
    send, poster = sender
    await deliver(
        host,
        send,
        url,
        body,
        module=f"act>{action.action_type}",
        transport=action.action_type,
        poster=poster,
    )


PosterAction = Callable[[ActionHost, RunState, int], Awaitable[None]]

POSTER_ACTIONS: dict[str, PosterAction] = {
    "*log": _log,
    "*http_post": _http_post,
    "*http_post_async": _http_post_async,
    "*post_event": _post_event,
    "*mail_async": _mail_async,
    "*amqp_json_map": _queue_post,
    "*sqs_json_map": _queue_post,
    "*s3_json_map": _queue_post,
}
