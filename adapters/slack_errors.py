"""What a failed Slack Web API call means for the send queue: wait, retry, or give up."""

from __future__ import annotations

import aiohttp
from slack_sdk.errors import SlackApiError

from adapters.retry import Verdict, Wait

# Errors Slack answers (often with HTTP 200) when the fault is on its side and may pass.
TRANSIENT_ERRORS = frozenset({"internal_error", "service_unavailable", "request_timeout"})


def classify(exc: BaseException) -> Verdict:
    """What a failed Web API call means, as ``AsyncWebClient`` surfaces it.

    The client raises ``SlackApiError`` for every answer that is not HTTP 200 with ``ok: true``
    (its ``response`` holds the status, headers and body), and lets aiohttp's own exceptions
    through for connection failures (after one quick retry of its own, slack_sdk's
    ``AsyncConnectionErrorRetryHandler``) and ``TimeoutError`` for its request timeout.
    429: wait its ``Retry-After``. 5xx, Slack's ``internal_error``/``service_unavailable``/
    ``request_timeout``, connection errors and timeouts are transient. Everything else
    (``channel_not_found``, ``not_in_channel``, ``invalid_auth``, ``msg_too_long``, other 4xx)
    is permanent.
    """
    if isinstance(exc, SlackApiError):
        response = exc.response  # an AsyncSlackResponse; an aiohttp response for a garbled body
        status = getattr(response, "status_code", None) or getattr(response, "status", None)
        if status == 429:
            try:
                return Wait(float(response.headers.get("Retry-After", 1)))
            except (TypeError, ValueError):
                return Wait(1.0)
        data = getattr(response, "data", None)
        error = data.get("error") if isinstance(data, dict) else None
        if (isinstance(status, int) and status >= 500) or error in TRANSIENT_ERRORS:
            return "transient"
        return "permanent"
    if isinstance(exc, aiohttp.ClientConnectionError | aiohttp.ClientPayloadError | TimeoutError):
        return "transient"
    return "permanent"
