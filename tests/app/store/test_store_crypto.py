"""The crypto recipe: round trips, one opaque error, and the committed known-answer vectors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.store import crypto
from app.store.crypto import CryptoError, WrongPin

VECTORS = json.loads(
    (Path(__file__).resolve().parents[2] / "data" / "store" / "crypto_vectors.json").read_text(
        encoding="utf-8"
    )
)
FAST = crypto.TEST_KDF


def _flip(blob: bytes, index: int) -> bytes:
    index %= len(blob)
    return blob[:index] + bytes([blob[index] ^ 0x01]) + blob[index + 1 :]


# --- key wrapping -------------------------------------------------------------------------


def test_default_kdf_parameters_are_the_real_ones() -> None:
    assert crypto.DEFAULT_KDF.memory_kib >= 64 * 1024
    assert crypto.DEFAULT_KDF.iterations >= 4
    import inspect

    assert inspect.signature(crypto.wrap_key).parameters["params"].default is crypto.DEFAULT_KDF


def test_wrap_stores_its_parameters() -> None:
    blob = crypto.wrap_key(crypto.new_data_key(), "1357", params=FAST)
    assert crypto.wrapped_params(blob) == FAST
    assert blob[:3] == b"WK\x01"


@settings(max_examples=25, deadline=None)
@given(pin=st.text(min_size=1, max_size=40), key=st.binary(min_size=32, max_size=32))
def test_wrap_round_trip(pin: str, key: bytes) -> None:
    assert crypto.unwrap_key(crypto.wrap_key(key, pin, params=FAST), pin) == key


def test_wrong_pin_raises_wrong_pin() -> None:
    blob = crypto.wrap_key(crypto.new_data_key(), "1234", params=FAST)
    with pytest.raises(WrongPin):
        crypto.unwrap_key(blob, "1243")


def test_pin_is_unicode_normalised() -> None:
    key = crypto.new_data_key()
    blob = crypto.wrap_key(key, "cafe\u0301", params=FAST)
    assert crypto.unwrap_key(blob, "caf\u00e9") == key


@pytest.mark.parametrize("index", [0, 3, 5, 12, 20, 40, 70, -1])
def test_tampered_wrapped_key_is_refused(index: int) -> None:
    blob = crypto.wrap_key(crypto.new_data_key(), "1234", params=FAST)
    with pytest.raises(CryptoError):
        crypto.unwrap_key(_flip(blob, index), "1234")


def test_wrapped_key_with_absurd_memory_is_refused_before_deriving() -> None:
    blob = bytearray(crypto.wrap_key(crypto.new_data_key(), "1234", params=FAST))
    blob[8:12] = (0xFFFFFFF0).to_bytes(4, "big")  # memory KiB field
    with pytest.raises(CryptoError):
        crypto.unwrap_key(bytes(blob), "1234")


@pytest.mark.parametrize("blob", [b"", b"WK", b"WK\x01\x01", b"XX" + bytes(90)])
def test_truncated_or_foreign_wrapped_key_is_refused(blob: bytes) -> None:
    with pytest.raises(CryptoError):
        crypto.unwrap_key(blob, "1234")


def test_empty_pin_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        crypto.wrap_key(crypto.new_data_key(), "", params=FAST)


# --- record encryption --------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(plaintext=st.binary(max_size=2000), aad=st.binary(max_size=64))
def test_encrypt_round_trip(plaintext: bytes, aad: bytes) -> None:
    key = crypto.new_data_key()
    blob = crypto.encrypt(key, plaintext, aad)
    assert crypto.decrypt(key, blob, aad) == plaintext


def test_encrypt_uses_a_fresh_nonce() -> None:
    key = crypto.new_data_key()
    assert crypto.encrypt(key, b"same", b"a") != crypto.encrypt(key, b"same", b"a")


@settings(max_examples=40, deadline=None)
@given(index=st.integers(min_value=0, max_value=10_000))
def test_any_flipped_bit_is_one_opaque_error(index: int) -> None:
    key = crypto.new_data_key()
    blob = crypto.encrypt(key, b"answer text", b"rec-1")
    with pytest.raises(CryptoError) as info:
        crypto.decrypt(key, _flip(blob, index), b"rec-1")
    assert type(info.value) is CryptoError
    assert str(info.value) == "crypto_failed"


def test_wrong_aad_wrong_key_and_garbage_all_raise_crypto_error() -> None:
    key = crypto.new_data_key()
    blob = crypto.encrypt(key, b"x", b"rec-1")
    for args in (
        (key, blob, b"rec-2"),
        (crypto.new_data_key(), blob, b"rec-1"),
        (key, blob[:-1], b"rec-1"),
        (key, b"", b"rec-1"),
        (b"short", blob, b"rec-1"),
    ):
        with pytest.raises(CryptoError):
            crypto.decrypt(*args)


# --- sealing ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def agency() -> tuple[crypto.AgencyPrivateKey, bytes]:
    pem, public_raw = crypto.new_agency_keypair("a long agency passphrase")
    assert pem.startswith(b"WP\x01WK\x01")  # Argon2id-wrapped, versioned, like the device key
    assert crypto.wrapped_params(pem[3:]) == crypto.AGENCY_KDF
    key = crypto.load_agency_private_key(pem, "a long agency passphrase")
    assert key.public_raw == public_raw and len(public_raw) == 32
    return key, public_raw


@settings(max_examples=25, deadline=None)
@given(plaintext=st.binary(max_size=3000))
def test_seal_round_trip(agency: tuple[crypto.AgencyPrivateKey, bytes], plaintext: bytes) -> None:
    key, public_raw = agency
    info = crypto.envelope_info("r1", "d1", "f", "1")
    assert crypto.open_sealed(key, crypto.seal(public_raw, plaintext, info), info) == plaintext


def test_sealed_envelope_is_bound_to_its_record(
    agency: tuple[crypto.AgencyPrivateKey, bytes],
) -> None:
    key, public_raw = agency
    info = crypto.envelope_info("r1", "d1", "f", "1")
    envelope = crypto.seal(public_raw, b"payload", info)
    for other in (
        crypto.envelope_info("r2", "d1", "f", "1"),
        crypto.envelope_info("r1", "d2", "f", "1"),
        crypto.envelope_info("r1", "d1", "g", "1"),
        crypto.envelope_info("r1", "d1", "f", "2"),
    ):
        with pytest.raises(CryptoError):
            crypto.open_sealed(key, envelope, other)
    for index in (0, 3, 10, 40, len(envelope) - 1):
        with pytest.raises(CryptoError):
            crypto.open_sealed(key, _flip(envelope, index), info)
    with pytest.raises(CryptoError):
        crypto.open_sealed(key, envelope[:20], info)


def test_sealed_envelope_needs_the_right_private_key(
    agency: tuple[crypto.AgencyPrivateKey, bytes],
) -> None:
    _, public_raw = agency
    pem, _ = crypto.new_agency_keypair("other")
    other = crypto.load_agency_private_key(pem, "other")
    info = crypto.envelope_info("r1", "d1", "f", "1")
    with pytest.raises(CryptoError):
        crypto.open_sealed(other, crypto.seal(public_raw, b"p", info), info)


def test_private_key_with_wrong_passphrase_or_damaged_pem_is_refused() -> None:
    pem, _ = crypto.new_agency_keypair("right")
    with pytest.raises(CryptoError):
        crypto.load_agency_private_key(pem, "wrong")
    with pytest.raises(CryptoError):
        crypto.load_agency_private_key(pem[:-1], "right")
    with pytest.raises(CryptoError):
        crypto.load_agency_private_key(pem[:20] + bytes([pem[20] ^ 1]) + pem[21:], "right")


def test_seal_to_a_malformed_public_key_is_refused() -> None:
    for bad in (b"\x00" * 31, b"\x00" * 32):
        with pytest.raises(CryptoError) as info:
            crypto.seal(bad, b"p", b"i")
        assert info.value.code == "bad_public_key"


def test_envelope_info_is_unambiguous() -> None:
    assert crypto.envelope_info("ab", "c", "f", "1") != crypto.envelope_info("a", "bc", "f", "1")
    assert crypto.envelope_info("r", "d", "f", "1") == crypto.envelope_info("r", "d", "f", "1")


def test_fingerprint_is_short_hex_of_sha256() -> None:
    import hashlib

    raw = bytes(range(32))
    assert crypto.fingerprint(raw) == hashlib.sha256(raw).hexdigest()[:16]


# --- known-answer vectors (committed once; they must keep opening) --------------------------


@pytest.mark.parametrize("vector", VECTORS["wrap_key"], ids=lambda v: f"m{v['memory_kib']}")
def test_wrap_key_vector(vector: dict[str, object]) -> None:
    blob = bytes.fromhex(str(vector["blob"]))
    pin = str(vector["pin"])
    assert crypto.unwrap_key(blob, pin).hex() == vector["data_key"]
    params = crypto.KdfParams(
        iterations=int(str(vector["iterations"])),
        memory_kib=int(str(vector["memory_kib"])),
        lanes=int(str(vector["lanes"])),
    )
    assert crypto.wrapped_params(blob) == params
    again = crypto._wrap_with(
        bytes.fromhex(str(vector["data_key"])),
        pin,
        params,
        bytes.fromhex(str(vector["salt"])),
        bytes.fromhex(str(vector["nonce"])),
    )
    assert again == blob
    with pytest.raises(WrongPin):
        crypto.unwrap_key(blob, pin + "0")


def test_encrypt_vector() -> None:
    v = VECTORS["encrypt"]
    key, aad = bytes.fromhex(v["data_key"]), bytes.fromhex(v["aad"])
    blob = bytes.fromhex(v["blob"])
    assert crypto.decrypt(key, blob, aad).hex() == v["plaintext"]
    again = crypto._encrypt_with(key, bytes.fromhex(v["plaintext"]), aad, bytes.fromhex(v["nonce"]))
    assert again == blob


def test_seal_vector() -> None:
    v = VECTORS["seal"]
    key = crypto.load_agency_private_key(v["private_pem"].encode("ascii"), v["passphrase"])
    assert key.public_raw.hex() == v["public_raw"]
    assert crypto.fingerprint(key.public_raw) == v["fingerprint"]
    info = crypto.envelope_info(v["record_id"], v["device_id"], v["form_id"], v["form_version"])
    assert info.hex() == v["info"]
    envelope = bytes.fromhex(v["envelope"])
    assert crypto.open_sealed(key, envelope, info).hex() == v["plaintext"]


def test_only_the_recipe_imports_hazmat() -> None:
    import re

    pattern = re.compile(r"^\s*(from|import)\s+cryptography\.hazmat", re.MULTILINE)
    root = Path(__file__).resolve().parents[3]
    offenders = [
        str(path.relative_to(root))
        for folder in ("app", "sync")
        for path in (root / folder).rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
        and path != root / "sync" / "crypto.py"
    ]
    assert offenders == []


def test_stored_session_vector_still_opens() -> None:
    """The store's associated-data layout is part of the on-disk format too."""
    from app.store.store import record_aad

    path = Path(__file__).resolve().parents[2] / "data" / "store" / "record_vectors.json"
    v = json.loads(path.read_text(encoding="utf-8"))
    aad = record_aad(v["record_id"], v["form_id"], v["form_version"])
    assert aad.hex() == v["aad"]
    plaintext = crypto.decrypt(bytes.fromhex(v["data_key"]), bytes.fromhex(v["blob"]), aad)
    assert json.loads(plaintext) == v["session"]


def test_a_wrapped_key_cannot_ask_for_more_memory_than_a_tablet_can_spare() -> None:
    crypto.KdfParams(memory_kib=crypto.MAX_KDF_MEMORY_KIB).check()
    with pytest.raises(crypto.CryptoError):
        crypto.KdfParams(memory_kib=crypto.MAX_KDF_MEMORY_KIB + 1).check()


def test_an_agency_key_file_is_rewrapped_under_a_new_passphrase() -> None:
    blob, public_raw = crypto.new_agency_keypair("old passphrase", params=crypto.TEST_KDF)
    again = crypto.rewrap_agency_key(blob, "old passphrase", "new passphrase",
                                     params=crypto.TEST_KDF)
    assert crypto.load_agency_private_key(again, "new passphrase").public_raw == public_raw
    with pytest.raises(CryptoError):
        crypto.load_agency_private_key(again, "old passphrase")
    with pytest.raises(CryptoError):
        crypto.rewrap_agency_key(blob, "wrong", "x")
    legacy = VECTORS["seal"]
    moved = crypto.rewrap_agency_key(legacy["private_pem"].encode("ascii"), legacy["passphrase"],
                                     "new passphrase", params=crypto.TEST_KDF)
    opened = crypto.load_agency_private_key(moved, "new passphrase")
    assert opened.public_raw.hex() == legacy["public_raw"]
    assert not crypto.is_legacy_agency_key(moved)
