"""The payment provider's message signature: HMAC-SHA256 over the message's canonical form.

The canonical form is every field but ``sign`` whose value is not empty, as ``name=value``, sorted by
name and joined by ``&``; the signature is the HMAC's hex digest in capitals. The app signs what it
sends to the provider and checks what the provider sends (callbacks, statements); the sandbox does
the same on its side.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any


def canonical(fields: Mapping[str, Any]) -> str:
    return "&".join(f"{k}={fields[k]}" for k in sorted(fields) if k != "sign" and fields[k] not in (None, ""))


def sign(fields: Mapping[str, Any], key: str) -> str:
    return hmac.new(key.encode(), canonical(fields).encode(), hashlib.sha256).hexdigest().upper()


def signed(fields: Mapping[str, Any], key: str) -> dict[str, Any]:
    return {**fields, "sign": sign(fields, key)}


def verify(fields: Mapping[str, Any], key: str) -> bool:
    given = fields.get("sign")
    return isinstance(given, str) and hmac.compare_digest(given.upper(), sign(fields, key))
