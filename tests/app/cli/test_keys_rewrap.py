"""``waymark keys rewrap``: the agency private key under a new passphrase, in the current format."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from app.cli import main
from sync import crypto

ROOT = Path(__file__).resolve().parents[2]
OLD = "the first long passphrase"
NEW = "a second long passphrase"


def _files(tmp_path: Path, old: str = OLD, new: str = NEW) -> tuple[Path, Path]:
    (tmp_path / "old").write_text(old + "\n", encoding="utf-8")
    (tmp_path / "new").write_text(new + "\n", encoding="utf-8")
    return tmp_path / "old", tmp_path / "new"


def _rewrap(
    capsys: pytest.CaptureFixture[str], key: Path, old: Path, new: Path, *extra: str
) -> tuple[int, str, str]:
    code = main([*extra, "keys", "rewrap", "--key", str(key),
                 "--passphrase-file", str(old), "--new-passphrase-file", str(new)])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_key_file_is_rewrapped_and_only_the_new_passphrase_opens_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = _files(tmp_path)
    assert main(["keys", "new", "--out", str(tmp_path / "keys"), "--passphrase-file", str(old),
                 "--data-dir", str(tmp_path / "data")]) == 0
    key = tmp_path / "keys" / "agency-private.pem"
    public = crypto.load_agency_private_key(key.read_bytes(), OLD).public_raw
    capsys.readouterr()

    code, out, err = _rewrap(capsys, key, old, new)

    assert code == 0, err
    assert str(key) in out and "older PEM format" not in out
    blob = key.read_bytes()
    assert blob.startswith(b"WP\x01") and not crypto.is_legacy_agency_key(blob)
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert crypto.load_agency_private_key(blob, NEW).public_raw == public
    with pytest.raises(crypto.WrongPin):
        crypto.load_agency_private_key(blob, OLD)
    assert sorted(p.name for p in key.parent.iterdir()) == ["agency-private.pem",
                                                            "agency-public.key"]


def test_a_key_file_of_the_older_format_moves_to_the_current_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    vector = json.loads((ROOT / "data" / "store" / "crypto_vectors.json").read_text("utf-8"))
    legacy = vector["seal"]
    key = tmp_path / "agency-private.pem"
    key.write_bytes(legacy["private_pem"].encode("ascii"))
    assert crypto.is_legacy_agency_key(key.read_bytes())
    old, new = _files(tmp_path, old=legacy["passphrase"])

    code, out, err = _rewrap(capsys, key, old, new)

    assert code == 0, err
    assert "older PEM format" in out
    opened = crypto.load_agency_private_key(key.read_bytes(), NEW)
    assert opened.public_raw.hex() == legacy["public_raw"]
    assert not crypto.is_legacy_agency_key(key.read_bytes())


def test_a_wrong_passphrase_or_a_short_new_one_leaves_the_file_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blob, _ = crypto.new_agency_keypair(OLD, params=crypto.TEST_KDF)
    key = tmp_path / "agency-private.pem"
    key.write_bytes(blob)

    wrong, new = _files(tmp_path, old="not the passphrase at all")
    code, out, err = _rewrap(capsys, key, wrong, new)
    assert code == 1 and "wrong passphrase or damaged file" in err
    assert OLD not in err + out and NEW not in err + out

    old, short = _files(tmp_path, new="short")
    code, out, err = _rewrap(capsys, key, old, short)
    assert code == 1 and "at least 10 characters" in err

    code, out, err = _rewrap(capsys, key, old, short, "--language", "fr")
    assert code == 1 and "10 caractères" in err
    assert key.read_bytes() == blob
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".new")] == []
