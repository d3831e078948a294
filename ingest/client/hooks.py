"""One-line capture hooks for requests, httpx and the official X Ads SDK (``twitter-ads``).

Each hook captures every response as a ``records.CapturedResponse`` (credentials redacted at
once, the body decoded later on the shipper's thread) and hands it to a shipper. A hook never
raises: a failure inside it is logged at debug level and counted in
``shipper.stats()["hook_errors"]``. requests, httpx and twitter_ads are imported only inside
the functions that need them, so this module imports without them.
"""

import functools
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol
from weakref import WeakKeyDictionary

from ingest.client.records import CapturedResponse

logger = logging.getLogger("xads.capture")

_SHIPPER_ATTRIBUTE = "_xads_capture_shipper"


class Shipper(Protocol):
    """What a hook needs from a shipper (EnvelopeShipper is one)."""

    def capture(self, record: dict | CapturedResponse) -> None: ...

    def count_hook_error(self) -> None: ...


# --- shared -------------------------------------------------------------------------------


def _hook_failed(shipper: Shipper) -> None:
    """Log (debug) and count an exception raised inside a hook."""
    logger.debug("capture hook failed", exc_info=True)
    try:
        shipper.count_hook_error()
    except Exception:
        logger.debug("counting the hook error failed", exc_info=True)


def _started_at(elapsed_seconds: float | None) -> float:
    """When the request started, in epoch seconds: now minus its elapsed time."""
    return time.time() - (elapsed_seconds or 0.0)


def _marked(hook: Callable, shipper: Shipper) -> Callable:
    """Tag a hook with its shipper, so that instrumenting twice adds it once."""
    setattr(hook, _SHIPPER_ATTRIBUTE, shipper)
    return hook


def _has_hook_for(hooks: list, shipper: Shipper) -> bool:
    return any(getattr(hook, _SHIPPER_ATTRIBUTE, None) is shipper for hook in hooks)


# --- requests -----------------------------------------------------------------------------


def instrument_requests_session(session: Any, shipper: Shipper) -> Any:
    """Capture every response of a ``requests.Session`` (redirect hops included).

    Adds a response hook, once per shipper. The hook reads the body, as requests would
    right after; for ``stream=True`` requests the body is left unread and recorded as null.
    Returns the session.
    """
    try:
        hooks = session.hooks.get("response") or []
        hooks = [hooks] if callable(hooks) else list(hooks)  # requests allows one callable
        if not _has_hook_for(hooks, shipper):
            session.hooks["response"] = [*hooks, _requests_hook(shipper)]
    except Exception:
        logger.warning("capture: cannot instrument %r", session, exc_info=True)
    return session


def _requests_hook(shipper: Shipper) -> Callable:
    def capture_response(response: Any, **kwargs: Any) -> None:
        try:
            shipper.capture(_requests_capture(response, streamed=bool(kwargs.get("stream"))))
        except Exception:
            _hook_failed(shipper)

    return _marked(capture_response, shipper)


def _requests_capture(response: Any, streamed: bool) -> CapturedResponse:
    """Capture a ``requests.Response``."""
    elapsed = response.elapsed.total_seconds()
    headers = response.headers
    return CapturedResponse(
        response.request.method,
        response.url,
        response.status_code,
        headers,
        None if streamed else response.content,
        headers.get("content-type"),
        elapsed,
        _started_at(elapsed),
    )


# --- httpx --------------------------------------------------------------------------------


def instrument_httpx_client(client: Any, shipper: Shipper) -> Any:
    """Capture every response of an ``httpx.Client`` or ``httpx.AsyncClient``.

    Adds a response event hook, once per shipper. The hook reads the body
    (``read()``/``aread()``, as httpx documents for hooks), so a streamed response is
    loaded whole before the caller iterates it. Returns the client.
    """
    try:
        import httpx

        hooks = client.event_hooks["response"]
        if not _has_hook_for(hooks, shipper):
            is_async = isinstance(client, httpx.AsyncClient)
            hooks.append(_httpx_async_hook(shipper) if is_async else _httpx_hook(shipper))
    except Exception:
        logger.warning("capture: cannot instrument %r", client, exc_info=True)
    return client


def _httpx_hook(shipper: Shipper) -> Callable[[Any], None]:
    def capture_response(response: Any) -> None:
        try:
            response.read()
            shipper.capture(_httpx_capture(response))
        except Exception:
            _hook_failed(shipper)

    return _marked(capture_response, shipper)


def _httpx_async_hook(shipper: Shipper) -> Callable[[Any], Awaitable[None]]:
    async def capture_response(response: Any) -> None:
        try:
            await response.aread()
            shipper.capture(_httpx_capture(response))
        except Exception:
            _hook_failed(shipper)

    return _marked(capture_response, shipper)


def _httpx_capture(response: Any) -> CapturedResponse:
    """Capture an ``httpx.Response`` whose body has been read."""
    try:
        elapsed = response.elapsed.total_seconds()
    except RuntimeError:  # elapsed is set when the response is closed
        elapsed = None
    headers = response.headers
    return CapturedResponse(
        response.request.method,
        str(response.url),
        response.status_code,
        headers,
        response.content,
        headers.get("content-type"),
        elapsed,
        _started_at(elapsed),
    )


# --- the official X Ads SDK (twitter-ads) ---------------------------------------------------
#
# twitter_ads.http.Request.perform builds a new requests_oauthlib.OAuth1Session for every
# call and loops over attempts on it, so there is no long-lived session to hook. Two patches,
# both process-wide and pass-through for clients that are not instrumented:
# - Request.perform is wrapped to note, in a context variable, the shipper of the client that
#   is performing (None for others);
# - the name OAuth1Session in twitter_ads.http (not requests_oauthlib's class itself) becomes
#   a subclass that adds the requests hook when that variable holds a shipper.
# Every attempt, retries included, goes through that session and is captured.

_active_shipper: ContextVar[Shipper | None] = ContextVar("xads_capture_sdk", default=None)
_sdk_shippers: WeakKeyDictionary = WeakKeyDictionary()
_sdk_lock = threading.Lock()


@dataclass(frozen=True)
class _SdkPatch:
    """The SDK attributes before and after patching, to undo exactly what was done."""

    module: Any
    original_session: type
    original_perform: Callable
    session: type
    perform: Callable


_sdk_patch: _SdkPatch | None = None


def instrument_twitter_ads(client: Any, shipper: Shipper) -> Any:
    """Capture every HTTP attempt (retries included) the SDK makes for this ``Client``.

    Idempotent; calling it again with another shipper switches shippers. Other clients are
    not captured. Returns the client. See the module comment for what is patched globally.
    """
    try:
        from twitter_ads import http as sdk_http

        with _sdk_lock:
            _patch_sdk(sdk_http)
            _sdk_shippers[client] = shipper
    except Exception:
        logger.warning("capture: cannot instrument the twitter-ads SDK", exc_info=True)
    return client


def uninstrument_twitter_ads(client: Any = None) -> None:
    """Stop capturing for one client, or for all when None; the SDK is restored once no
    client is instrumented."""
    global _sdk_patch
    with _sdk_lock:
        if client is None:
            _sdk_shippers.clear()
        else:
            _sdk_shippers.pop(client, None)
        if _sdk_patch is None or _sdk_shippers:
            return
        patch, _sdk_patch = _sdk_patch, None
        if patch.module.OAuth1Session is patch.session:
            patch.module.OAuth1Session = patch.original_session
        if patch.module.Request.perform is patch.perform:
            patch.module.Request.perform = patch.original_perform


def _patch_sdk(sdk_http: Any) -> None:
    """Install both patches once (callers hold _sdk_lock)."""
    global _sdk_patch
    if _sdk_patch is not None:
        return
    original_session = sdk_http.OAuth1Session
    original_perform = sdk_http.Request.perform
    _sdk_patch = _SdkPatch(
        sdk_http,
        original_session,
        original_perform,
        _capturing_session_class(original_session),
        _capturing_perform(original_perform),
    )
    sdk_http.OAuth1Session = _sdk_patch.session
    sdk_http.Request.perform = _sdk_patch.perform


def _capturing_perform(perform: Callable) -> Callable:
    """Request.perform, noting the performing client's shipper for the session class."""

    @functools.wraps(perform)
    def capturing_perform(request: Any) -> Any:
        token = _active_shipper.set(_shipper_of(request))
        try:
            return perform(request)
        finally:
            _active_shipper.reset(token)

    return capturing_perform


def _shipper_of(request: Any) -> Shipper | None:
    """The shipper of an SDK request's client, or None when it is not instrumented."""
    try:
        return _sdk_shippers.get(request.client)
    except Exception:
        logger.debug("capture: cannot look up the SDK client", exc_info=True)
        return None


def _capturing_session_class(base: type) -> type:
    """A subclass of the SDK's OAuth1Session that hooks itself while a shipper is active."""

    class CapturingOAuth1Session(base):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            shipper = _active_shipper.get()
            if shipper is not None:
                instrument_requests_session(self, shipper)

    return CapturingOAuth1Session
