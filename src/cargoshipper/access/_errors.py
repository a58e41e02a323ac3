"""One error type for every way a DigitalOcean call can fail.

pydo fails in two styles: most operations *return* the error body (``{"id": "not_found", ...}``)
for the statuses the spec documents, others *raise* azure-core's ``HttpResponseError``; the
network fails with ``ServiceRequestError`` / ``ServiceResponseError``. All of them become a
:class:`DOError`, whose :meth:`DOError.for_agent` says what happened and what to do next.

    DOError
      status=None   the request failed in transit (connection refused, dropped, timed out)
      status=4xx/5xx the API answered with an error
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._ratelimit import RateLimit, reading_from

NOT_JSON = "not_json"  # DOError.error_id of a body in another format (message: its type)


class Refused(Exception):
    """A request stopped before it was sent (the gate, or a path value that would leave its
    template); the message says why."""


@dataclass
class DOError(Exception):
    """A failed DigitalOcean API call."""

    status: int | None
    error_id: str
    message: str
    request_id: str | None = None
    rate_limit: RateLimit | None = None
    subject: str | None = None  # what the call was about, e.g. "droplet 123"
    lookup_hint: str | None = None  # e.g. "droplet_list shows the ids"
    may_have_happened: bool = False  # the request may have reached the API (POST read timeout)
    look_for: str | None = None  # what a create would have made, e.g. "a droplet named 'web-1'
    #  (droplet_list name=web-1 shows it)": named when its outcome is unknown

    def __str__(self) -> str:
        return self.for_agent()

    def for_agent(self) -> str:
        """A message the model can act on: what failed, why, and what to do next."""
        text = self._explain()
        if self.request_id:
            text += f" (request id {self.request_id})"
        if self.rate_limit and self.rate_limit.is_low() and self.status != 429:
            text += f" Note: {self.rate_limit.describe()}."
        return text

    def _explain(self) -> str:
        subject = self.subject or "the resource"
        if self.status is None:
            if self.error_id == "busy":
                return (
                    f"The request about {subject} was not sent: {self.message}. Nothing was "
                    "done; try again shortly."
                )
            if self.may_have_happened:
                return (
                    f"The request about {subject} was sent but no answer arrived ({self.message}). "
                    f"It may have been carried out: {self._what_to_check()} before trying again, "
                    "so nothing is created twice."
                )
            return (
                f"Could not reach the DigitalOcean API ({self.message}). "
                "Check the network or --api-url, then try again."
            )
        if self.error_id == "bad_response":
            outcome = (
                f"it may have been carried out: {self._what_to_check()}"
                if self.may_have_happened
                else "try again shortly"
            )
            answered = f"DigitalOcean answered {self.status} about {subject}"
            return f"{answered}, but {self.message}; {outcome}."
        if self.error_id == NOT_JSON:
            return (
                f"DigitalOcean answered about {subject} in {self.message}, which this operation "
                "cannot return as JSON."
            )
        if self.status is not None and 300 <= self.status < 400:
            return (
                f"The API address answered with a redirect ({self.status} to {self.message}). "
                "CargoShipper does not follow redirects (they would carry the token elsewhere): "
                "set --api-url (DIGITALOCEAN_API_URL) to the final address, or leave it unset "
                "for https://api.digitalocean.com."
            )
        if self.status == 501:
            return f"Not available here (501 {self.error_id}): {self.message}"
        if self.status == 401:
            return (
                "DigitalOcean rejected the API token (401 unauthorized): it is missing, invalid, "
                "expired or revoked. Set DIGITALOCEAN_TOKEN to a valid token."
            )
        if self.status == 403:
            return (
                f"The API token may not do this (403 forbidden: {self.message}). "
                "Give the token the scope this operation needs."
            )
        if self.status == 404:
            hint = f"; {self.lookup_hint}" if self.lookup_hint else ""
            return f"{_capitalise(subject)} does not exist (404 not_found){hint}."
        if self.status == 429:
            wait = self.rate_limit.describe() if self.rate_limit else "try again in a minute"
            return f"DigitalOcean's rate limit is exhausted (429 too_many_requests): {wait}."
        if self.status >= 500:
            if self.look_for:
                return (
                    f"DigitalOcean had a server error ({self.status} {self.error_id}: "
                    f"{self.message}). The create may still have happened: "
                    f"{self._what_to_check()} before trying again."
                )
            return (
                f"DigitalOcean had a server error ({self.status} {self.error_id}: {self.message}). "
                "Try again shortly; if a create was involved, check first whether it happened."
            )
        return f"DigitalOcean refused the request ({self.status} {self.error_id}): {self.message}"

    def _what_to_check(self) -> str:
        if self.look_for:
            return f"look for {self.look_for}"
        return "check the current state (for example with a list or get tool)"


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def error_from_body(status: int, body: Any, headers: Any, rate_limit: RateLimit | None) -> DOError:
    """Build a DOError from an error response's status, JSON body and headers."""
    error_id, message, request_id = "error", "", None
    if isinstance(body, dict):
        error_id = str(body.get("id") or error_id)
        message = str(body.get("message") or "")
        request_id = body.get("request_id")
    elif body:
        message = str(body)[:300]
    if not request_id and headers is not None:
        request_id = headers.get("x-request-id")
    if 300 <= status < 400:
        location = headers.get("location") if headers is not None else None
        return DOError(status, "redirect", location or "an unnamed address", request_id)
    if status == 429:  # this answer's own budget, not an older reading
        rate_limit = reading_from(headers)
    message = message if len(message) <= 300 else f"{message[:300]}… ({len(message)} characters)"
    return DOError(status, error_id, message or f"HTTP {status}", request_id, rate_limit)


def error_from_exception(exc: Exception, rate_limit: RateLimit | None, method: str) -> DOError:
    """Turn whatever pydo or azure-core raised into a DOError."""
    from azure.core.exceptions import DecodeError, HttpResponseError, ServiceResponseError

    if isinstance(exc, DecodeError):
        return _undecodable(exc, method)
    if isinstance(exc, HttpResponseError) and exc.response is not None:
        response = exc.response
        return error_from_body(
            response.status_code, body_of(response), response.headers, rate_limit
        )
    sent = isinstance(exc, ServiceResponseError) and method not in ("GET", "HEAD")
    reason = _short_reason(exc)
    return DOError(None, "connection_error", reason, None, rate_limit, may_have_happened=sent)


def _undecodable(exc: Any, method: str) -> DOError:
    """An answer pydo could not read: JSON that is not JSON, or a body that is not JSON at all
    (``NOT_JSON``: a GET of it can be read as text instead)."""
    response = exc.response
    if response is None:  # azure-core names only the content type
        return DOError(None, NOT_JSON, str(exc).rsplit(":", 1)[-1].strip())
    status = response.status_code
    if status >= 400:
        return error_from_body(status, body_of(response), response.headers, None)
    text = body_of(response)
    prefix = str(text)[:80] if text else "an empty body"
    return DOError(
        status,
        "bad_response",
        f"its body is not valid JSON ({prefix!r})",
        may_have_happened=method not in ("GET", "HEAD"),
    )


def body_of(response: Any) -> Any:
    """An error response's body: its JSON, else its text."""
    try:
        return response.json()
    except Exception:
        return response.text() if hasattr(response, "text") else None


def _short_reason(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "timed out" in text.lower() or "timeout" in type(exc).__name__.lower():
        return "timed out waiting for the API"
    if "refused" in text.lower():
        return "connection refused"
    if "aborted" in text.lower() or "disconnected" in text.lower() or "reset" in text.lower():
        return "the connection was dropped"
    return text[:200]
