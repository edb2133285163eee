"""Hooks for the schemathesis run of test/contracts/schemathesis.e2e-spec.ts; the README lists each.

Loaded through SCHEMATHESIS_HOOKS. They only choose which generated cases are sent: none changes
what a check accepts. Each filter drops positive cases that break a rule the document states in
words because JSON Schema cannot say it.
"""
import datetime
import ipaddress
import json
import os
import re

import schemathesis
from schemathesis import GenerationMode

# The key the run authenticates with, and another key of the same user to aim at instead.
CALLER_KEY_ID = os.environ["SCHEMATHESIS_CALLER_KEY_ID"]
TARGET_KEY_ID = int(os.environ["SCHEMATHESIS_TARGET_KEY_ID"])
# The service's HTTP_BODY_LIMIT_BYTES.
BODY_LIMIT_BYTES = int(os.environ["SCHEMATHESIS_BODY_LIMIT_BYTES"])


@schemathesis.hook
def map_path_parameters(ctx, path_parameters):
    """The authenticating key is never the target: an `id` naming it names another key instead.

    A PUT could otherwise change the key the run depends on. Hypothesis favours the minimum id,
    which the caller's key may have, so mapping (not filtering) also aims many cases at a real key.
    """
    if path_parameters is not None and str(path_parameters.get("id")) == CALLER_KEY_ID:
        path_parameters["id"] = TARGET_KEY_ID
    return path_parameters


# Idempotency-Key values already sent in this run (a set, since one run is one process).
_idempotency_keys = set()


def _header(headers, name):
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            return value
    return None


def _reuses_idempotency_key(case):
    """Rule: an Idempotency-Key names one request; the same key with another request is a 422.

    Whether a key was used before depends on earlier requests, which no schema can see. Every key
    is sent once, so no case depends on what another operation happened to send first.
    """
    key = _header(case.headers, "Idempotency-Key")
    if key is None:
        return False
    if key in _idempotency_keys:
        return True
    _idempotency_keys.add(key)
    return False


_DEFAULT_PORTS = {"http": "80", "https": "443"}
_ORIGIN = re.compile(r"^(https?)://(\[[^\]]*\]|[^:]*)(?::([0-9]+))?$")
_DOTTED_DECIMAL = re.compile(r"^(?:0|[1-9][0-9]{0,2})(?:\.(?:0|[1-9][0-9]{0,2})){3}$")
_ENDS_IN_NUMBER = re.compile(r"^(?:[0-9]+|0x[0-9a-f]*)$")


def _ipv6_serialized(text):
    """An IPv6 address as the WHATWG URL standard writes it: the first longest run of 2+ zero pieces is ::."""
    packed = ipaddress.IPv6Address(text).packed
    pieces = [int.from_bytes(packed[i : i + 2], "big") for i in range(0, 16, 2)]
    start, length, i = None, 1, 0
    while i < 8:
        j = i
        while j < 8 and pieces[j] == 0:
            j += 1
        if j - i > length:
            start, length = i, j - i
        i = max(j, i + 1)
    hexes = [format(piece, "x") for piece in pieces]
    if start is None:
        return ":".join(hexes)
    return ":".join(hexes[:start]) + "::" + ":".join(hexes[start + length :])


def is_browser_origin(origin):
    """Rule: an origin exactly as browsers send it (a WHATWG URL's origin, serialized).

    The document's pattern holds the shape; this is the rest of the rule its words state: no
    default port, an IPv6 address in the form browsers write it, a host ending in a number only as
    an IPv4 address in dotted decimal. Hosts with an `xn--` label are left out (their punycode
    rules are not worth copying here): this only means such origins are not generated.
    """
    match = _ORIGIN.match(origin)
    if not match:
        return False
    scheme, host, port = match.groups()
    if port is not None and port == _DEFAULT_PORTS[scheme]:
        return False
    if host.startswith("["):
        try:
            return host[1:-1] == _ipv6_serialized(host[1:-1])
        except ValueError:
            return False
    labels = host.split(".")
    if len(labels) > 1 and labels[-1] == "":
        labels.pop()
    if _ENDS_IN_NUMBER.match(labels[-1]):
        return bool(_DOTTED_DECIMAL.match(host)) and all(int(part) <= 255 for part in host.split("."))
    return not any(label.startswith("xn--") for label in labels)


def _has_non_browser_origin(case):
    body = case.body if isinstance(case.body, dict) else None
    api_key = body.get("api_key") if body else None
    origins = api_key.get("allowed_origins") if isinstance(api_key, dict) else None
    if not isinstance(origins, list):
        return False
    return any(isinstance(origin, str) and not is_browser_origin(origin) for origin in origins)


def _over_body_limit(case):
    """Rule: a body over HTTP_BODY_LIMIT_BYTES is a 413, answered before anything else is judged.

    A size in bytes is no JSON Schema keyword. Such a case, positive or negative, could test no
    other rule. The size is the body as schemathesis sends it (json.dumps, ASCII escapes).
    """
    if case.body is None or isinstance(case.body, (bytes, str)):
        return False
    try:
        return len(json.dumps(case.body).encode()) > BODY_LIMIT_BYTES
    except (TypeError, ValueError):
        return False


def _api_key_body(case):
    body = case.body if isinstance(case.body, dict) else None
    api_key = body.get("api_key") if body else None
    return api_key if isinstance(api_key, dict) else None


def _expiry_not_in_future(case):
    """Rule: expires_at, when set, lies in the future (a 422 otherwise).

    "In the future" depends on the clock when the request arrives, which no schema can state. A
    minute's margin keeps a time the service would judge at arrival on the right side.
    """
    api_key = _api_key_body(case)
    expires_at = api_key.get("expires_at") if api_key else None
    if not isinstance(expires_at, str):
        return False
    try:
        when = datetime.datetime.fromisoformat(expires_at.replace("Z", "+00:00"))
    except ValueError:
        return False
    return when <= datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=1)


def _meta_over_bytes(case):
    """Rule: meta is at most 4096 bytes as the UTF-8 of its compact JSON (a size in bytes is no
    JSON Schema keyword; its depth, which is, the document states)."""
    api_key = _api_key_body(case)
    meta = api_key.get("meta") if api_key else None
    if not isinstance(meta, dict):
        return False
    compact = json.dumps(meta, separators=(",", ":"), ensure_ascii=False)
    return len(compact.encode("utf-8")) > 4096


def _if_match_names_a_version(case):
    """Rule: If-Match must name the key's current version (else 412). Which version that is depends
    on the key's history, which no schema can state; `*` (any existing key) stays in."""
    value = _header(case.headers or {}, "if-match")
    return value is not None and value.strip() != "*"


def _both_at_and_version(case):
    """Rule: GET /api_keys/{id} takes ?at= or ?version=, not both (a 422). OpenAPI has no way to
    say that two query parameters exclude each other; the document says it in words."""
    query = case.query or {}
    return "at" in query and "version" in query


@schemathesis.hook
def filter_case(ctx, case):
    """Drops cases that break only a rule the document states in words (see each rule)."""
    if _over_body_limit(case):
        return False
    if case.meta is not None and case.meta.generation.mode != GenerationMode.POSITIVE:
        return True
    if _has_non_browser_origin(case) or _expiry_not_in_future(case) or _meta_over_bytes(case):
        return False
    if _both_at_and_version(case) or _if_match_names_a_version(case):
        return False
    return not _reuses_idempotency_key(case)
