"""How every app defines and queues its Celery tasks, and the task that sends a message
rendered elsewhere."""

import logging
from collections.abc import Callable
from smtplib import SMTPException
from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from kombu.exceptions import KombuError, OperationalError
from redis.exceptions import RedisError

from mailing import messages
from mailing.addresses import address_mask
from mailing.breaker import UNAVAILABLE, Breaker, breaker_for
from mailing.outbox import error_is_permanent, error_text
from mailing.suppression import address_is_suppressed

log = logging.getLogger(__name__)

# Failures that are worth another try later: the network, the mail server, the broker.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (OSError, SMTPException)


def durable_task(
    *, retry_for: tuple[type[Exception], ...] = TRANSIENT_ERRORS, max_retries: int = 10
) -> Callable[[Callable[..., Any]], Task]:
    """The one preset for tasks that do work: acknowledged only when done (a worker that
    dies leaves the message to another), retried with capped exponential back-off, no
    result stored. Tasks are written to be safe to run twice."""
    return shared_task(
        acks_late=True,
        autoretry_for=retry_for,
        retry_backoff=True,
        retry_backoff_max=600,
        max_retries=max_retries,
        ignore_result=True,
    )


def periodic_task() -> Callable[[Callable[..., Any]], Task]:
    """The preset for beat's sweeps: cheap, no result, the next run is the retry."""
    return shared_task(ignore_result=True)


def enqueue(task: Task, /, *, countdown: int = 0, **kwargs: Any) -> bool:
    """Queue ``task`` with keyword arguments; never raises. False when the broker refused.

    A broker that is down must not break the request or the service that asked: each
    caller has a sweep that finds the work again. A Redis broker that failed is skipped
    for a while (mailing.breaker), so a hung one costs one timeout, not one per request.
    """
    breaker = _broker_breaker()
    if breaker is not None and breaker.is_open:
        log.debug("Broker skipped after a failure; a sweep will queue %s", task.name)
        return False
    try:
        task.apply_async(kwargs=kwargs, countdown=countdown)
    except (KombuError, RedisError, OSError, RuntimeError) as error:
        log.warning("Could not queue %s; a sweep will find the work", task.name, exc_info=True)
        if breaker is not None and isinstance(error, (OperationalError, *UNAVAILABLE)):
            breaker.failed(error)
        return False
    if breaker is not None:
        breaker.succeeded()
    return True


def _broker_breaker() -> Breaker | None:
    url = settings.CELERY_BROKER_URL
    return breaker_for(url) if url.startswith(("redis://", "rediss://")) else None


def enqueue_after_commit(task: Task, /, **kwargs: Any) -> None:
    """Queue ``task`` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: enqueue(task, **kwargs))


def mail_send_after_commit(*, message: EmailMessage) -> None:
    """Send an already rendered email from a worker once the transaction commits.

    For mail rendered by a library that writes its links while rendering (allauth's
    verification and password-reset mail), so the task carries the message, not ids.
    """
    enqueue_after_commit(mail_send, message=messages.message_to_payload(message))


@durable_task(max_retries=8)
def mail_send(*, message: dict[str, Any]) -> bool:
    """Send one rendered email, except to addresses that asked never to be emailed.

    A permanent refusal (5xx) is logged and not retried; other failures retry.
    """
    email = messages.message_from_payload(message)
    email.to = [to for to in email.to if not address_is_suppressed(email=to)]
    if not email.to:
        log.info("Account email not sent: the address asked never to be emailed")
        return False
    return message_send_once(email)


def message_send_once(email: EmailMessage) -> bool:
    """Send ``email`` on its own connection; a permanent refusal returns False with a
    warning, a transient failure raises (for the task to retry)."""
    try:
        with messages.connection() as connection:
            connection.send_messages([email])
    except (SMTPException, OSError) as error:
        if not error_is_permanent(error):
            raise
        to = ", ".join(address_mask(address) for address in email.to)
        log.warning("Email to %s refused for good: %s", to, error_text(error))
        return False
    return True
