"""Ed25519 signatures of firmware (SPEC 6): the server signs the file's SHA-256 digest with
FIRMWARE_SIGNING_KEY, devices verify with the public key in their config.

The digest, not the file, is signed: Ed25519 needs the whole message in memory, and a 50 MB image
would have to be read twice; the digest binds the file just as well once its SHA-256 is checked.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

CHECKSUM_PREFIX = "sha256:"


class BadKey(ValueError):
    """The PEM text is not an Ed25519 key of the expected kind."""


def load_private_key(pem: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError) as error:
        raise BadKey("not a PEM private key without a password") from error
    if not isinstance(key, Ed25519PrivateKey):
        raise BadKey("not an Ed25519 key")
    return key


def load_public_key(pem: str) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, TypeError) as error:
        raise BadKey("not a PEM public key") from error
    if not isinstance(key, Ed25519PublicKey):
        raise BadKey("not an Ed25519 key")
    return key


def public_pem(private: Ed25519PrivateKey) -> str:
    """The public half, as a device's config holds it."""
    return (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def new_private_pem() -> str:
    """A fresh signing key, PEM (what an operator puts in FIRMWARE_SIGNING_KEY)."""
    return (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        .decode()
    )


def sha256_of(chunks: Iterable[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


def sign(private: Ed25519PrivateKey, sha256_hex: str) -> str:
    """The signature of a file whose SHA-256 is `sha256_hex`, base64."""
    return base64.b64encode(private.sign(bytes.fromhex(sha256_hex))).decode()


def verify(public: Ed25519PublicKey, sha256_hex: str, signature_b64: str) -> bool:
    """True only if `signature_b64` is the key's signature of that digest."""
    try:
        public.verify(base64.b64decode(signature_b64, validate=True), bytes.fromhex(sha256_hex))
    except (InvalidSignature, ValueError):
        return False
    return True
