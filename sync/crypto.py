"""The crypto recipe: the only Waymark module that touches ``cryptography.hazmat``.

Everything else calls these few functions and never sees a primitive. Every blob starts with a
two-byte kind tag and a one-byte format version, so a later format can be read beside this one:

``wrapped key`` (``WK`` 1)
    ``b"WK" | 0x01 | kdf=0x01 (Argon2id) | iterations u32 | memory KiB u32 | lanes u8 |
    salt_len u8 | salt | nonce(12) | AES-256-GCM(kek, data_key, aad=header)`` where the header
    is everything before the nonce, so the KDF parameters cannot be changed unnoticed.
``encrypted`` (``WE`` 1)
    ``b"WE" | 0x01 | nonce(12) | AES-256-GCM(data_key, plaintext, aad=b"WE\\x01" + aad)``
``sealed envelope`` (``WS`` 1)
    ``b"WS" | 0x01 | HPKE base(X25519, HKDF-SHA256, AES-256-GCM)(enc | ciphertext)`` with HPKE
    ``info = b"WS\\x01" + info``.
``agency private key`` (``WP`` 1)
    ``b"WP" | 0x01 | wrapped key`` where the wrapped key is the raw X25519 private key wrapped
    as above under the passphrase (files written before this format, PKCS#8 PEM, still open).

Signatures (server statements, device requests) are Ed25519 over length-prefixed fields with a
purpose tag first (:func:`transcript`), so no signed message can be read as another kind.
Enrolment codes are stretched by Argon2id into a lookup value and a MAC key
(:func:`enrolment_keys`), so the code itself never crosses the wire.

Every decryption failure of any kind raises the one opaque :class:`CryptoError` (a wrong PIN
raises its subclass :class:`WrongPin`), never saying which check failed.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import struct
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from cryptography.exceptions import InvalidSignature, InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, hpke, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from sync.errors import WaymarkError

__all__ = [
    "AGENCY_KDF",
    "DEFAULT_KDF",
    "ENROL_KDF",
    "AgencyPrivateKey",
    "CryptoCode",
    "CryptoError",
    "KdfParams",
    "WrongPin",
    "certificate_fingerprint",
    "decrypt",
    "encrypt",
    "enrolment_keys",
    "envelope_info",
    "fingerprint",
    "load_agency_private_key",
    "mac",
    "mac_ok",
    "new_agency_keypair",
    "new_data_key",
    "new_signing_key",
    "new_tls_certificate",
    "open_sealed",
    "rewrap_agency_key",
    "seal",
    "sign",
    "signing_public_key",
    "transcript",
    "unwrap_key",
    "verify",
    "wrap_key",
]

KEY_LEN = 32
NONCE_LEN = 12
SALT_LEN = 16
PUBLIC_KEY_LEN = 32

_WRAP_TAG = b"WK\x01"
_ENC_TAG = b"WE\x01"
_SEAL_TAG = b"WS\x01"
_AGENCY_TAG = b"WP\x01"
_INFO_TAG = b"waymark-envelope\x01"
_KDF_ARGON2ID = 1
_WRAP_HEADER = struct.Struct(">3sBIIBB")  # tag, kdf, iterations, memory KiB, lanes, salt_len

_SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)


class CryptoCode(StrEnum):
    """Codes of the crypto recipe: deliberately few, so a failure never says which check failed."""

    CRYPTO_FAILED = "crypto_failed"
    WRONG_PIN = "wrong_pin"
    BAD_PUBLIC_KEY = "bad_public_key"
    BAD_SIGNING_KEY = "bad_signing_key"
    CERTIFICATE_INVALID = "certificate_invalid"


class CryptoError(WaymarkError):
    """Decryption or unwrapping failed; deliberately says nothing about why."""

    codes = CryptoCode
    code = CryptoCode.CRYPTO_FAILED


class WrongPin(CryptoError):
    """The PIN (or passphrase) does not open the wrapped key."""

    code = CryptoCode.WRONG_PIN


#: What the primitives raise for input they cannot use (a wrong tag or key, a malformed or
#: low-order key, bytes of the wrong length or type): every one becomes the same CryptoError.
_UNUSABLE = (InvalidTag, InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError)


#: The most memory a wrapped key may ask Argon2id for (4x the default): a tampered blob must not
#: make a tablet's unlock exhaust its memory.
MAX_KDF_MEMORY_KIB = 512 * 1024


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost: ``memory_kib`` KiB, ``iterations`` passes, ``lanes`` lanes.

    The defaults take about a third of a second on the reference 2-core machine when it is
    otherwise idle (at least 0.25 s is required); one lane, so free cores do not shorten it.
    Tests may pass lower values explicitly to stay fast; nothing lowers them silently.
    """

    iterations: int = 4
    memory_kib: int = 128 * 1024
    lanes: int = 1

    def check(self) -> None:
        """Refuse values Argon2 cannot use or that a tampered blob could use to exhaust memory."""
        if not (1 <= self.lanes <= 64 and 1 <= self.iterations <= 64):
            raise CryptoError()
        if not (8 * self.lanes <= self.memory_kib <= MAX_KDF_MEMORY_KIB):
            raise CryptoError()


DEFAULT_KDF = KdfParams()
#: The agency private key file's wrap (OWASP's first Argon2id choice: 46 MiB, 1 pass).
AGENCY_KDF = KdfParams(iterations=1, memory_kib=46 * 1024, lanes=1)
#: Stretching a one-time enrolment code (60 random bits) on the device, once per enrolment
#: (OWASP's second choice: 19 MiB, 2 passes); the code's entropy, not the cost, carries it.
ENROL_KDF = KdfParams(iterations=2, memory_kib=19 * 1024, lanes=1)
#: Cheap parameters, for tests only, always passed explicitly.
TEST_KDF = KdfParams(iterations=1, memory_kib=64, lanes=1)


def new_data_key() -> bytes:
    """32 random bytes from the operating system."""
    return os.urandom(KEY_LEN)


def _pin_bytes(pin: str) -> bytes:
    if not isinstance(pin, str) or not pin:
        raise ValueError("the PIN must be a non-empty string")
    return unicodedata.normalize("NFC", pin).encode("utf-8")


def _derive(pin: str, salt: bytes, params: KdfParams) -> bytes:
    params.check()
    kdf = Argon2id(
        salt=salt,
        length=KEY_LEN,
        iterations=params.iterations,
        lanes=params.lanes,
        memory_cost=params.memory_kib,
    )
    return kdf.derive(_pin_bytes(pin))


def _wrap_with(data_key: bytes, pin: str, params: KdfParams, salt: bytes, nonce: bytes) -> bytes:
    """Deterministic core of :func:`wrap_key`, for known-answer vectors."""
    if len(data_key) != KEY_LEN or len(salt) != SALT_LEN or len(nonce) != NONCE_LEN:
        raise ValueError("bad key, salt or nonce length")
    header = (
        _WRAP_HEADER.pack(
            _WRAP_TAG, _KDF_ARGON2ID, params.iterations, params.memory_kib, params.lanes, len(salt)
        )
        + salt
    )
    kek = _derive(pin, salt, params)
    return header + nonce + AESGCM(kek).encrypt(nonce, data_key, header)


def wrap_key(data_key: bytes, pin: str, *, params: KdfParams = DEFAULT_KDF) -> bytes:
    """Wrap the data key under a key derived from ``pin``; the KDF parameters travel along."""
    return _wrap_with(data_key, pin, params, os.urandom(SALT_LEN), os.urandom(NONCE_LEN))


def wrapped_params(blob: bytes) -> KdfParams:
    """The KDF parameters stored in a wrapped key (to tell whether it needs rewrapping)."""
    return _parse_wrapped(blob)[0]


def _parse_wrapped(blob: bytes) -> tuple[KdfParams, bytes, bytes, bytes, bytes]:
    try:
        tag, kdf, iterations, memory, lanes, salt_len = _WRAP_HEADER.unpack_from(blob)
    except (struct.error, TypeError):
        raise CryptoError() from None
    if tag != _WRAP_TAG or kdf != _KDF_ARGON2ID or salt_len < 8:
        raise CryptoError()
    start = _WRAP_HEADER.size
    salt = blob[start : start + salt_len]
    nonce = blob[start + salt_len : start + salt_len + NONCE_LEN]
    sealed = blob[start + salt_len + NONCE_LEN :]
    if len(salt) != salt_len or len(nonce) != NONCE_LEN or len(sealed) != KEY_LEN + 16:
        raise CryptoError()
    params = KdfParams(iterations=iterations, memory_kib=memory, lanes=lanes)
    params.check()
    return params, blob[: start + salt_len], salt, nonce, sealed


def unwrap_key(blob: bytes, pin: str) -> bytes:
    """The data key inside ``blob``; :class:`WrongPin` if the PIN is wrong or the blob altered."""
    params, header, salt, nonce, sealed = _parse_wrapped(blob)
    kek = _derive(pin, salt, params)
    try:
        return AESGCM(kek).decrypt(nonce, sealed, header)
    except InvalidTag:
        raise WrongPin() from None


def _encrypt_with(data_key: bytes, plaintext: bytes, aad: bytes, nonce: bytes) -> bytes:
    return _ENC_TAG + nonce + AESGCM(data_key).encrypt(nonce, plaintext, _ENC_TAG + aad)


def encrypt(data_key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """AES-256-GCM with a fresh 12-byte nonce; ``aad`` binds the ciphertext to its place."""
    if len(data_key) != KEY_LEN:
        raise ValueError("the data key must be 32 bytes")
    return _encrypt_with(data_key, plaintext, aad, os.urandom(NONCE_LEN))


def decrypt(data_key: bytes, blob: bytes, aad: bytes) -> bytes:
    """The plaintext of :func:`encrypt`; :class:`CryptoError` on any failure at all."""
    try:
        if blob[:3] != _ENC_TAG or len(blob) < 3 + NONCE_LEN + 16:
            raise CryptoError()
        nonce = blob[3 : 3 + NONCE_LEN]
        return AESGCM(data_key).decrypt(nonce, blob[3 + NONCE_LEN :], _ENC_TAG + aad)
    except CryptoError:
        raise
    except _UNUSABLE:  # a wrong tag, a wrong key length, a non-bytes blob: the same answer
        raise CryptoError() from None


class AgencyPrivateKey:
    """The agency's X25519 private key, opaque outside this module."""

    __slots__ = ("_key",)

    def __init__(self, key: X25519PrivateKey) -> None:
        self._key = key

    @property
    def public_raw(self) -> bytes:
        return self._key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_raw)

    def __repr__(self) -> str:
        return f"AgencyPrivateKey(fingerprint={self.fingerprint!r})"


def new_agency_keypair(passphrase: str, *, params: KdfParams = AGENCY_KDF) -> tuple[bytes, bytes]:
    """A new agency key pair: (the private key file's bytes, raw 32-byte public key).

    The file is ``WP`` 1: the raw private key wrapped like a device's data key (Argon2id +
    AES-256-GCM, parameters in the header)."""
    key = X25519PrivateKey.generate()
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return _AGENCY_TAG + wrap_key(raw, passphrase, params=params), AgencyPrivateKey(key).public_raw


def load_agency_private_key(blob: bytes, passphrase: str) -> AgencyPrivateKey:
    """Load a key written by :func:`new_agency_keypair` (or an older PKCS#8 PEM file);
    :class:`CryptoError` on any failure (a wrong passphrase raises its subclass WrongPin)."""
    if isinstance(blob, bytes) and blob.startswith(_AGENCY_TAG):
        raw = unwrap_key(blob[len(_AGENCY_TAG) :], passphrase)
        return AgencyPrivateKey(X25519PrivateKey.from_private_bytes(raw))
    try:
        key = serialization.load_pem_private_key(blob, password=_pin_bytes(passphrase))
    except _UNUSABLE:
        raise CryptoError() from None
    if not isinstance(key, X25519PrivateKey):
        raise CryptoError()
    return AgencyPrivateKey(key)


def rewrap_agency_key(
    blob: bytes, passphrase: str, new_passphrase: str, *, params: KdfParams = AGENCY_KDF
) -> bytes:
    """The same agency key in a ``WP`` file under a new passphrase (an old PKCS#8 file too);
    :class:`CryptoError` if ``passphrase`` does not open ``blob``."""
    raw = load_agency_private_key(blob, passphrase)._key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return _AGENCY_TAG + wrap_key(raw, new_passphrase, params=params)


def is_legacy_agency_key(blob: bytes) -> bool:
    """True for a PKCS#8 PEM file from before the ``WP`` format (worth rewrapping)."""
    return not blob.startswith(_AGENCY_TAG)


def seal(public_raw: bytes, plaintext: bytes, info: bytes) -> bytes:
    """HPKE base mode to the agency's public key; ``info`` binds the envelope to its record."""
    try:
        public = X25519PublicKey.from_public_bytes(public_raw)
        return _SEAL_TAG + _SUITE.encrypt(plaintext, public, info=_SEAL_TAG + info)
    except _UNUSABLE:  # a malformed or low-order key
        raise CryptoError(CryptoCode.BAD_PUBLIC_KEY) from None


def open_sealed(private_key: AgencyPrivateKey, envelope: bytes, info: bytes) -> bytes:
    """The plaintext of :func:`seal`; :class:`CryptoError` on any failure at all."""
    try:
        if envelope[:3] != _SEAL_TAG:
            raise CryptoError()
        return _SUITE.decrypt(envelope[3:], private_key._key, info=_SEAL_TAG + info)
    except CryptoError:
        raise
    except _UNUSABLE:
        raise CryptoError() from None


def envelope_info(record_id: str, device_id: str, form_id: str, form_version: str) -> bytes:
    """Unambiguous bytes naming an envelope: each field length-prefixed, UTF-8."""
    out = bytearray(_INFO_TAG)
    for field in (record_id, device_id, form_id, form_version):
        raw = str(field).encode("utf-8")
        out += struct.pack(">H", len(raw)) + raw
    return bytes(out)


def fingerprint(public_raw: bytes) -> str:
    """``sha256(public_raw).hexdigest()[:16]``: short enough to compare aloud at enrolment.

    The one fingerprint recipe of Waymark (agency keys; the server's signing key)."""
    return hashlib.sha256(public_raw).hexdigest()[:16]


# --- transcripts, MACs and signatures ---------------------------------------------------------


def transcript(purpose: bytes, *fields: str | bytes | int | None) -> bytes:
    """Unambiguous bytes: the purpose tag, then each field length-prefixed (``None`` is a
    distinct empty marker), so no two different field lists give the same bytes."""
    out = bytearray(struct.pack(">H", len(purpose)) + purpose)
    for f in fields:
        if f is None:
            out += b"\xff\xff\xff\xff"
            continue
        raw = f if isinstance(f, bytes) else str(f).encode("utf-8")
        out += struct.pack(">I", len(raw)) + raw
    return bytes(out)


def enrolment_keys(code: str, *, params: KdfParams = ENROL_KDF) -> tuple[str, bytes, bytes]:
    """(lookup, mac key, token key) from a normalised one-time code, by Argon2id.

    The server keeps lookup and keys; the device derives them from the typed code. Only the
    lookup crosses the wire, and turning it back into the code means Argon2id per guess."""
    params.check()
    stretched = Argon2id(
        salt=b"waymark-enrolment-code\x02",
        length=96,
        iterations=params.iterations,
        lanes=params.lanes,
        memory_cost=params.memory_kib,
    ).derive(_pin_bytes(code))
    return stretched[:32].hex(), stretched[32:64], stretched[64:]


def mac(key: bytes, message: bytes) -> bytes:
    """HMAC-SHA256."""
    return hmac.new(key, message, hashlib.sha256).digest()


def mac_ok(key: bytes, message: bytes, tag: bytes) -> bool:
    """Constant-time check of :func:`mac`."""
    return hmac.compare_digest(mac(key, message), tag)


def new_signing_key() -> bytes:
    """A new Ed25519 private key, raw (32 bytes)."""
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def signing_public_key(private_raw: bytes) -> bytes:
    """The raw 32-byte Ed25519 public key of :func:`new_signing_key`'s key."""
    try:
        key = Ed25519PrivateKey.from_private_bytes(private_raw)
    except _UNUSABLE:
        raise CryptoError(CryptoCode.BAD_SIGNING_KEY) from None
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def sign(private_raw: bytes, message: bytes) -> bytes:
    """Ed25519 signature (64 bytes)."""
    try:
        return Ed25519PrivateKey.from_private_bytes(private_raw).sign(message)
    except _UNUSABLE:
        raise CryptoError(CryptoCode.BAD_SIGNING_KEY) from None


def verify(public_raw: bytes, signature: bytes, message: bytes) -> bool:
    """True only for a valid Ed25519 signature; any malformed input is simply False."""
    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(signature, message)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


# --- TLS --------------------------------------------------------------------------------------


def new_tls_certificate(hosts: list[str], days: int = 3650) -> tuple[bytes, bytes]:
    """A self-signed certificate for a field office: (certificate PEM, private key PEM).

    Devices pin it by :func:`certificate_fingerprint`, so no certificate authority is needed."""
    from cryptography import x509  # only the server needs certificates: kept off start-up
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = []
    for host in hosts or ["localhost"]:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Waymark agency server")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def certificate_fingerprint(cert: bytes) -> str:
    """SHA-256 hex of a certificate's DER bytes (PEM or DER accepted)."""
    from cryptography import x509

    try:
        if cert.lstrip().startswith(b"-----BEGIN"):
            cert = x509.load_pem_x509_certificate(cert).public_bytes(serialization.Encoding.DER)
        return hashlib.sha256(cert).hexdigest()
    except _UNUSABLE:
        raise CryptoError(CryptoCode.CERTIFICATE_INVALID) from None
