"""Secrets kept at rest (a company's payment signing key), sealed with a key from the environment.

CLSS_SECRET_KEY is a Fernet key: 32 random bytes, URL-safe base64 (``python -m clss_app.manage
new-secret-key`` prints one). Production sets it and keeps it apart from the database and its backups:
a stolen database then holds no usable key. Without it the embedded demo makes one on first use in
data/secret.key beside its SQLite file, which is fine for a demo and nothing else.
"""

from __future__ import annotations

import hashlib
import os
from functools import cache

from cryptography.fernet import Fernet, InvalidToken

from clss_app import settings

KEY_FILE = settings.ROOT / "data" / "secret.key"


class SealError(Exception):
    """A sealed value that this key cannot open (the key changed, or the value was altered)."""


def new_key() -> str:
    return Fernet.generate_key().decode()


def _file_key() -> bytes:
    KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
    try:  # made once, atomically: two processes starting together agree on one key
        fd = os.open(KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return KEY_FILE.read_bytes().strip()
    with os.fdopen(fd, "w") as f:
        f.write(new_key())
    return KEY_FILE.read_bytes().strip()


@cache
def _fernet(key: str | None) -> Fernet:
    return Fernet(key.encode() if key else _file_key())


def _box() -> Fernet:
    return _fernet(os.environ.get("CLSS_SECRET_KEY") or None)


def seal(plain: str) -> str:
    return _box().encrypt(plain.encode()).decode()


def unseal(token: str) -> str:
    try:
        return _box().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SealError("密钥无法解密：CLSS_SECRET_KEY 与保存时不同，请重新设置签名密钥") from exc


def fingerprint(plain: str) -> str:
    """What identifies a key to the person who typed it, without revealing it: 8 hex digits of its hash."""
    return hashlib.sha256(plain.encode()).hexdigest()[:8].upper()
