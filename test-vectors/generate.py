#!/usr/bin/env python3
"""Writes the Fernet test vectors in this folder, using Python's `cryptography` as the reference.

    python3 test-vectors/generate.py          # rewrite the JSON files
    python3 test-vectors/generate.py --check  # exit 1 if a file differs from what would be written

Everything is deterministic: fixed keys, timestamps and IVs go through `Fernet._encrypt_from_parts`
(the private method behind `encrypt_at_time`), and the one place that draws its own randomness,
`MultiFernet.rotate`, gets a seeded `os.urandom`. Re-running with the same `cryptography` produces the
same bytes.

Tokens that are invalid for structural reasons (version, length, block size, padding) are built by hand
and given a *valid* HMAC, so that they exercise the check named in their `reason` rather than the MAC.

Every token case records what Python itself does with it (`"python"`: "ok", "InvalidToken", or
"ValueError" for a non-ASCII str, which Python's base64 refuses before Fernet sees it). Our
decoder is deliberately stricter than `base64.urlsafe_b64decode` (which skips unknown characters and
takes `+`/`/`), and more lenient about missing `=` padding; those cases are where the two differ.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import re
import sys
from pathlib import Path
from typing import Any, Iterator

import cryptography
import cryptography.fernet as fernet_module
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

OUT = Path(__file__).resolve().parent
MAX_CLOCK_SKEW = 60


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


def derive(label: str, n: int) -> bytes:
    """Fixed, reproducible pseudo-random bytes."""
    out = b""
    counter = 0
    while len(out) < n:
        out += hashlib.sha256(f"fernet-config test vectors/{label}/{counter}".encode()).digest()
        counter += 1
    return out[:n]


SPEC_KEY = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="  # the key of the fernet spec vectors
KEY_A = b64(derive("key A", 32))
KEY_B = b64(derive("key B", 32))
KEY_C = b64(derive("key C", 32))
KEY_SEQ = b64(bytes(range(32)))
KEY_FF = b64(b"\xff" * 32)  # all-ones: plenty of '_' and '-' in the text

IV_SEQ = bytes(range(16))
IV_ZERO = bytes(16)
IV_FF = b"\xff" * 16
IV_R = derive("iv", 16)

T_SPEC = 499162800  # 1985-10-26T01:20:00-07:00, the spec's timestamp
T_2023 = 1700000000
T_2_32 = 2**32
T_2_53_PLUS_1 = 2**53 + 1  # first integer a double cannot hold
T_2_63 = 2**63
T_MAX = 2**64 - 1

TEXT_NON_ASCII = "héllo wörld — ∑ 日本語 🔐 \u0000 end"
TEXT_JSON = json.dumps(
    {"database": {"host": "db.internal", "port": 5432, "password": "s3cr3t/+=?&"}, "debug": False},
    indent=2,
)


def hex_(data: bytes) -> str:
    return data.hex()


def decode_loose(text: str) -> bytes:
    text = text.strip().rstrip("=")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def fernet_parts(key: str) -> tuple[bytes, bytes]:
    raw = base64.urlsafe_b64decode(key)
    return raw[:16], raw[16:]


def sign(key: str, body: bytes) -> str:
    """`body` followed by its HMAC-SHA256 under the key's signing half, as a token."""
    signing, _ = fernet_parts(key)
    return b64(body + hmac.new(signing, body, hashlib.sha256).digest())


def raw_cbc(key: str, iv: bytes, block_aligned: bytes) -> bytes:
    """AES-128-CBC without padding: lets us write any final block we like."""
    _, enc = fernet_parts(key)
    e = Cipher(algorithms.AES(enc), modes.CBC(iv)).encryptor()
    return e.update(block_aligned) + e.finalize()


def header(timestamp: int, iv: bytes, version: int = 0x80) -> bytes:
    return bytes([version]) + timestamp.to_bytes(8, "big") + iv


def token(key: str, plaintext: bytes, timestamp: int, iv: bytes) -> str:
    return Fernet(key)._encrypt_from_parts(plaintext, timestamp, iv).decode("ascii")


def python_outcome(key: str, tok: str, ttl: int | None, now: int | None) -> tuple[str, bytes | None]:
    f = Fernet(key)
    try:
        if ttl is None:
            return "ok", f.decrypt(tok)
        return "ok", f.decrypt_at_time(tok, ttl, now)
    except InvalidToken:
        return "InvalidToken", None
    except ValueError:
        # base64 refuses a non-ASCII str before Fernet can turn the failure into InvalidToken.
        return "ValueError", None


URLSAFE_TOKEN = re.compile(r"[A-Za-z0-9_-]*(?:==?)?")


def authentic(key: str, tok: str) -> bool:
    """Whether the token is well formed and its HMAC verifies: then its timestamp can be read, whatever
    its padding or age. Strict (our rules): url-safe alphabet only, a version byte of 0x80, whole
    16-byte blocks and at least one of them."""
    text = tok.strip()
    if not URLSAFE_TOKEN.fullmatch(text) or len(text.rstrip("=")) % 4 == 1:
        return False
    if "=" in text and len(text) % 4 != 0:
        return False
    data = decode_loose(text)
    if len(data) < 1 + 8 + 16 + 16 + 32 or data[0] != 0x80 or (len(data) - 57) % 16 != 0:
        return False
    signing, _ = fernet_parts(key)
    return hmac.compare_digest(hmac.new(signing, data[:-32], hashlib.sha256).digest(), data[-32:])


def python_key_outcome(key: str) -> str:
    try:
        Fernet(key)
        return "ok"
    except ValueError:
        return "ValueError"


@contextlib.contextmanager
def seeded_urandom(label: str) -> Iterator[None]:
    """Makes `MultiFernet.rotate` reproducible by giving cryptography.fernet a fixed `os.urandom`."""
    original = fernet_module.os.urandom
    calls = [0]

    def fake(n: int) -> bytes:
        calls[0] += 1
        return derive(f"{label}/{calls[0]}", n)

    fernet_module.os.urandom = fake  # type: ignore[assignment]
    try:
        yield
    finally:
        fernet_module.os.urandom = original  # type: ignore[assignment]


# ---------------------------------------------------------------------------------------------------
# encrypt.json: fixed key, time and IV -> the exact token Python writes.

def encrypt_vectors() -> list[dict[str, Any]]:
    plaintexts: list[tuple[str, bytes, str | None]] = [
        ("empty", b"", ""),
        ("one byte", b"x", "x"),
        ("15 bytes (one block after padding)", b"fifteen bytes!!", "fifteen bytes!!"),
        ("16 bytes: exactly one block, so a whole block of padding", b"sixteen bytes!!!", "sixteen bytes!!!"),
        ("17 bytes", b"seventeen bytes!!", "seventeen bytes!!"),
        ("spec plaintext", b"hello", "hello"),
        ("many blocks (1000 bytes)", derive("many blocks", 1000), None),
        ("many blocks, exact multiple (4096 bytes)", derive("4096", 4096), None),
        ("binary: all 256 byte values", bytes(range(256)), None),
        ("binary: all 256 byte values, reversed", bytes(range(255, -1, -1)), None),
        ("non-ASCII UTF-8 text", TEXT_NON_ASCII.encode("utf-8"), TEXT_NON_ASCII),
        ("JSON config text", TEXT_JSON.encode("utf-8"), TEXT_JSON),
    ]
    settings = [
        (KEY_A, T_2023, IV_R),
        (SPEC_KEY, T_SPEC, IV_SEQ),
        (KEY_FF, T_2_32, IV_FF),
    ]
    out = []
    for i, (desc, data, text) in enumerate(plaintexts):
        key, ts, iv = settings[i % len(settings)]
        out.append(vector_entry(desc, key, ts, iv, data, text))
    # Every timestamp width, including those a JavaScript number cannot hold.
    for desc, ts in [
        ("timestamp 0", 0),
        ("timestamp 2^32", T_2_32),
        ("timestamp 2^53 + 1 (beyond a double's integers)", T_2_53_PLUS_1),
        ("timestamp 2^63", T_2_63),
        ("timestamp 2^64 - 1 (largest uint64)", T_MAX),
    ]:
        out.append(vector_entry(desc, KEY_SEQ, ts, IV_ZERO, b"timestamps", "timestamps"))
    return out


def vector_entry(desc: str, key: str, ts: int, iv: bytes, data: bytes, text: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "desc": desc,
        "key": key,
        "timestamp": str(ts),
        "iv": hex_(iv),
        "plaintext": hex_(data),
    }
    if text is not None:
        entry["text"] = text
    entry["token"] = token(key, data, ts, iv)
    return entry


# ---------------------------------------------------------------------------------------------------
# decrypt.json: valid tokens, with and without time checks, and accepted spellings of a token.

def decrypt_vectors() -> list[dict[str, Any]]:
    data = b"time checks"
    base = token(KEY_A, data, T_2023, IV_R)
    cases: list[tuple[str, str, str, int | None, int | None]] = [
        ("no ttl: no time check at all, even long after", KEY_A, base, None, None),
        ("ttl 60, now == timestamp", KEY_A, base, 60, T_2023),
        ("ttl 60, now == timestamp + ttl: the boundary is still valid", KEY_A, base, 60, T_2023 + 60),
        ("ttl 0, now == timestamp: ttl 0 is a real limit, not 'no limit'", KEY_A, base, 0, T_2023),
        ("ttl 60, token 60 s in the future: exactly the allowed clock skew", KEY_A, base, 60, T_2023 - MAX_CLOCK_SKEW),
        ("ttl 0, token 60 s in the future", KEY_A, base, 0, T_2023 - MAX_CLOCK_SKEW),
        ("huge ttl (2^40), now long after", KEY_A, base, 2**40, T_2023 + 2**39),
        ("surrounding whitespace and newline", KEY_A, "  " + base + "\n", None, None),
        ("timestamp 2^64 - 1, no ttl", KEY_A, token(KEY_A, data, T_MAX, IV_R), None, None),
        ("timestamp 2^53 + 1, no ttl", KEY_A, token(KEY_A, data, T_2_53_PLUS_1, IV_R), None, None),
        ("timestamp 0, huge ttl", KEY_A, token(KEY_A, data, 0, IV_R), 2**40, T_2023),
        ("timestamp 0, ttl 0 at time 0", KEY_A, token(KEY_A, data, 0, IV_R), 0, 0),
        # Python rejects a token without its '=' padding; we accept it, since it is unambiguous.
        ("unpadded token (ours only: Python wants the '=')", KEY_A, base.rstrip("="), None, None),
        ("key with surrounding whitespace", "\t" + KEY_A + " \n", base, None, None),
    ]
    out = []
    for desc, key, tok, ttl, now in cases:
        py, py_plain = python_outcome(key, tok, ttl, now)
        if py == "ok":
            assert py_plain == data, desc
        entry: dict[str, Any] = {"desc": desc, "key": key, "token": tok}
        if ttl is not None:
            entry["ttl"] = ttl
            entry["now"] = now
        entry["timestamp"] = str(int.from_bytes(decode_loose(tok)[1:9], "big"))
        entry["plaintext"] = hex_(data)
        entry["python"] = py
        out.append(entry)
    return out


# ---------------------------------------------------------------------------------------------------
# invalid.json: one entry per way a token can fail. Every one must raise the same InvalidToken.

def invalid_vectors() -> list[dict[str, Any]]:
    key = KEY_A
    ts = T_2023
    iv = IV_R
    good = token(key, b"hello, invalid world", ts, iv)
    good_raw = base64.urlsafe_b64decode(good)
    body, mac = good_raw[:-32], good_raw[-32:]
    ciphertext = body[25:]
    one_block_padded = b"0123456789abcde" + b"\x01"

    def flip(raw: bytes, index: int, bit: int = 0) -> str:
        b = bytearray(raw)
        b[index] ^= 1 << bit
        return b64(bytes(b))

    cases: list[tuple[str, str, str, int | None, int | None]] = [
        # Encoding.
        ("empty token", key, "", None, None),
        ("whitespace-only token", key, "  \n", None, None),
        ("bad base64 character '%' in place of one character", key, "%" + good[1:], None, None),
        ("bad base64 characters: the spec's '%%%%' prefix", key, "%%%%" + good[4:], None, None),
        ("bad base64 character '!' inserted (Python skips it)", key, good[:20] + "!" + good[20:], None, None),
        ("space inside the token (Python skips it)", key, good[:20] + " " + good[20:], None, None),
        ("line break inside the token (Python skips it)", key, good[:64] + "\n" + good[64:], None, None),
        ("non-ASCII character inside the token", key, good[:20] + "é" + good[20:], None, None),
        ("'=' in the middle", key, good[:20] + "=" + good[21:], None, None),
        ("too much padding", key, good + "=", None, None),
        ("one extra character after the unpadded token", key, good.rstrip("=") + "A", None, None),
        # 3 blocks make a token with no '=' at all; one more character makes 4k+1, which a lenient
        # decoder drops without a trace.
        ("one stray character: 4k+1 characters", key, token(key, b"x" * 40, ts, iv) + "A", None, None),
        # Tokens whose text has '-' or '_', respelled in the standard alphabet (each on its own, so that
        # each character is checked on its own).
        ("standard-alphabet '+' instead of '-' (Python translates it)", key, std_alphabet(key, "-"), None, None),
        ("standard-alphabet '/' instead of '_' (Python translates it)", key, std_alphabet(key, "_"), None, None),
        ("standard-alphabet '+' and '/' instead of '-' and '_' (Python translates them)", key,
         std_alphabet(key, "-_"), None, None),
        # Structure, each with a valid HMAC so the structural check is what rejects it.
        ("wrong version byte 0x81 (valid HMAC)", key, sign(key, b"\x81" + body[1:]), None, None),
        ("wrong version byte 0x00 (valid HMAC)", key, sign(key, b"\x00" + body[1:]), None, None),
        ("wrong version byte 0x7f (valid HMAC)", key, sign(key, b"\x7f" + body[1:]), None, None),
        ("too short: only the version byte", key, b64(b"\x80"), None, None),
        ("too short: version and timestamp, nothing else", key, b64(good_raw[:9]), None, None),
        ("too short: header and HMAC, no ciphertext (valid HMAC)", key, sign(key, body[:25]), None, None),
        ("too short: header and one block, no HMAC", key, b64(good_raw[:25 + 16]), None, None),
        ("too short: cut inside the IV", key, b64(good_raw[:20]), None, None),
        ("ciphertext of 15 bytes: not a multiple of the block size (valid HMAC)", key,
         sign(key, body[:25] + ciphertext[:15]), None, None),
        ("ciphertext of 17 bytes: not a multiple of the block size (valid HMAC)", key,
         sign(key, body[:25] + ciphertext[:17]), None, None),
        ("HMAC truncated by one byte", key, b64(good_raw[:-1]), None, None),
        # Authentication.
        ("bad HMAC: last byte of the MAC flipped", key, flip(good_raw, len(good_raw) - 1), None, None),
        ("bad HMAC: first byte of the MAC flipped", key, flip(good_raw, len(good_raw) - 32, 7), None, None),
        ("bad HMAC: a ciphertext bit flipped", key, flip(good_raw, 30), None, None),
        ("bad HMAC: a timestamp bit flipped", key, flip(good_raw, 8), None, None),
        ("bad HMAC: an IV bit flipped", key, flip(good_raw, 9), None, None),
        ("bad HMAC: MAC all zeros", key, b64(body + bytes(32)), None, None),
        ("bad HMAC: MAC of another key", key, sign(KEY_B, body), None, None),
        ("wrong key", KEY_B, good, None, None),
        ("wrong key: the same key with its halves swapped", swap_halves(key), good, None, None),
        ("wrong key: right signing half, other encryption half (fails on padding)", mix_keys(key, KEY_B),
         good, None, None),
        # Padding, each with a valid HMAC over the bad ciphertext.
        ("bad padding: last byte 0x00 (valid HMAC)", key,
         sign(key, header(ts, iv) + raw_cbc(key, iv, b"0123456789abcde\x00")), None, None),
        ("bad padding: last byte 0x11, more than a block (valid HMAC)", key,
         sign(key, header(ts, iv) + raw_cbc(key, iv, b"0123456789abcde\x11")), None, None),
        ("bad padding: inconsistent bytes ...02 03 03 (valid HMAC)", key,
         sign(key, header(ts, iv) + raw_cbc(key, iv, b"0123456789abc\x02\x03\x03")), None, None),
        ("bad padding: 0x10 claimed, block not all 0x10 (valid HMAC)", key,
         sign(key, header(ts, iv) + raw_cbc(key, iv, b"\x10" * 14 + b"\x0f" + b"\x10")), None, None),
        ("bad padding: 0x11 in each of the last 17 bytes, more than a block (valid HMAC)", key,
         sign(key, header(ts, iv) + raw_cbc(key, iv, b"\x11" * 32)), None, None),
        ("bad padding: 0xff in each of 256 bytes (valid HMAC)", key,
         sign(key, header(ts, iv) + raw_cbc(key, iv, b"\xff" * 256)), None, None),
        ("bad padding in the last of several blocks (valid HMAC)", key,
         sign(key, header(ts, iv) + raw_cbc(key, iv, one_block_padded * 3 + b"x" * 15 + b"\x00")), None, None),
        # Time: only checked when a ttl is given.
        ("expired: timestamp + ttl < now by one second", key, good, 60, ts + 61),
        ("expired: ttl 0, one second later", key, good, 0, ts + 1),
        ("expired: the spec's 90 seconds with ttl 60", key, good, 60, ts + 90),
        ("too far in the future: 61 s of clock skew", key, good, 60, ts - 61),
        ("too far in the future: ttl 0, 61 s of clock skew", key, good, 0, ts - 61),
        ("too far in the future with a huge ttl", key, good, 2**40, ts - 61),
        ("timestamp 2^64 - 1 with a ttl: far future", key, token(key, b"x", T_MAX, iv), 60, ts),
        ("timestamp 2^53 + 1 with a ttl: far future", key, token(key, b"x", T_2_53_PLUS_1, iv), 2**40, ts),
        ("timestamp 0 with ttl 1, now 2023: expired", key, token(key, b"x", 0, iv), 1, ts),
    ]
    out = []
    for reason, k, tok, ttl, now in cases:
        py, _ = python_outcome(k, tok, ttl, now)
        entry: dict[str, Any] = {"reason": reason, "key": k, "token": tok}
        if ttl is not None:
            entry["ttl"] = ttl
            entry["now"] = now
        entry["authentic"] = authentic(k, tok)
        entry["python"] = py
        out.append(entry)
    return out


def std_alphabet(key: str, chars: str) -> str:
    """A token whose text contains each of `chars` ('-', '_'), respelled with '+' and '/'."""
    for n in range(1000):
        tok = token(key, f"alphabet {n}".encode(), T_2023, IV_R)
        if all(c in tok for c in chars):
            return tok.translate(str.maketrans({"-": "+", "_": "/"}) if chars == "-_" else
                                 str.maketrans({chars: "+" if chars == "-" else "/"}))
    raise AssertionError(f"no token containing {chars!r}")


def swap_halves(key: str) -> str:
    raw = base64.urlsafe_b64decode(key)
    return b64(raw[16:] + raw[:16])


def mix_keys(signing_from: str, encryption_from: str) -> str:
    return b64(base64.urlsafe_b64decode(signing_from)[:16] + base64.urlsafe_b64decode(encryption_from)[16:])


# ---------------------------------------------------------------------------------------------------
# keys.json: what a key may look like.

def key_vectors() -> dict[str, Any]:
    raw = base64.urlsafe_b64decode(KEY_FF)
    valid = [
        ("random key", KEY_A),
        ("bytes 0..31", KEY_SEQ),
        ("all 0xff: '_' characters", KEY_FF),
        ("the fernet spec's key", SPEC_KEY),
        ("surrounding spaces", "  " + KEY_A + "  "),
        ("trailing newline, as read from a key file", KEY_A + "\n"),
        ("CRLF line ending", KEY_A + "\r\n"),
        ("unpadded (ours only: Python wants the '=')", KEY_A.rstrip("=")),
    ]
    invalid = [
        ("empty", ""),
        ("whitespace only", "   \n"),
        ("16 bytes", b64(derive("short key", 16))),
        ("31 bytes", b64(derive("short key", 31))),
        ("33 bytes", b64(derive("long key", 33))),
        ("64 bytes", b64(derive("long key", 64))),
        ("one character missing", KEY_A[:42] + "="),
        ("one character too many", KEY_A[:43] + "A="),
        ("bad character '%'", "%" + KEY_A[1:]),
        ("bad character '!' inserted (Python skips it)", KEY_A[:10] + "!" + KEY_A[10:]),
        ("space inside (Python skips it)", KEY_A[:10] + " " + KEY_A[10:]),
        ("standard alphabet '+' and '/' (Python translates them)", KEY_FF.replace("_", "/").replace("-", "+")),
        ("64 hex digits instead of base64", raw.hex()),
        ("too much padding", KEY_A + "="),
        ("'=' in the middle", KEY_A[:20] + "=" + KEY_A[21:]),
        ("non-ASCII character", KEY_A[:20] + "é" + KEY_A[21:]),
    ]
    out_valid = []
    for desc, k in valid:
        decoded = decode_loose(k)
        out_valid.append({
            "desc": desc,
            "key": k,
            "signingKey": decoded[:16].hex(),
            "encryptionKey": decoded[16:].hex(),
            "python": python_key_outcome(k),
        })
    out_invalid = [{"reason": r, "key": k, "python": python_key_outcome(k)} for r, k in invalid]
    return {"valid": out_valid, "invalid": out_invalid}


# ---------------------------------------------------------------------------------------------------
# multi.json: MultiFernet.

def multi_vectors() -> dict[str, Any]:
    ring = [KEY_A, KEY_B, KEY_C]
    decrypt = []
    for i, k in enumerate(ring):
        data = f"encrypted with key {i}".encode()
        tok = token(k, data, T_2023 + i, IV_R)
        decrypt.append({
            "desc": f"token of key {i} of the ring",
            "keys": ring,
            "token": tok,
            "keyIndex": i,
            "timestamp": str(T_2023 + i),
            "plaintext": hex_(data),
        })
    # MultiFernet.decrypt applies the ttl with whichever key opens the token.
    old = token(KEY_C, b"old", T_2023, IV_R)
    decrypt.append({
        "desc": "token of the last key, within ttl",
        "keys": ring, "token": old, "keyIndex": 2, "timestamp": str(T_2023),
        "ttl": 60, "now": T_2023 + 60, "plaintext": hex_(b"old"),
    })

    invalid = [
        {"reason": "key not in the ring", "keys": [KEY_A, KEY_B], "token": token(KEY_C, b"x", T_2023, IV_R)},
        {"reason": "last key of the ring, but expired", "keys": ring, "token": old, "ttl": 60, "now": T_2023 + 61},
        {"reason": "first key of the ring, tampered", "keys": ring,
         "token": b64(bytes([*base64.urlsafe_b64decode(token(KEY_A, b"x", T_2023, IV_R))[:-1], 0]))},
        {"reason": "empty token", "keys": ring, "token": ""},
    ]
    for case in invalid:
        mf = MultiFernet([Fernet(k) for k in case["keys"]])
        try:
            if "ttl" in case:
                mf.decrypt_at_time(case["token"], case["ttl"], case["now"])
            else:
                mf.decrypt(case["token"])
            raise AssertionError(case["reason"])
        except InvalidToken:
            case["python"] = "InvalidToken"

    # rotate: Python's own MultiFernet.rotate, with a seeded os.urandom. Encrypts under the first key
    # and keeps the original timestamp.
    rotate = []
    new_ring = [KEY_C, KEY_A, KEY_B]
    for i, (name, src_key) in enumerate([("A", KEY_A), ("B", KEY_B), ("C", KEY_C)]):
        data = f"rotate me {i}".encode()
        ts = [T_2023, T_SPEC, T_MAX][i]
        tok = token(src_key, data, ts, IV_R)
        with seeded_urandom(f"rotate {i}"):
            rotated = MultiFernet([Fernet(k) for k in new_ring]).rotate(tok).decode("ascii")
        assert Fernet(KEY_C).extract_timestamp(rotated) == ts
        rotate.append({
            "desc": f"rotate a token of key {name} to key C (first of the ring), timestamp {ts}",
            "keys": new_ring,
            "token": tok,
            "timestamp": str(ts),
            "plaintext": hex_(data),
            "rotated": rotated,
        })
    return {"decrypt": decrypt, "invalid": invalid, "rotate": rotate}


# ---------------------------------------------------------------------------------------------------

def main() -> int:
    check = "--check" in sys.argv[1:]
    meta = {
        "generator": "test-vectors/generate.py",
        "cryptography": cryptography.__version__,
        "python": ".".join(map(str, sys.version_info[:3])),
    }
    files = {
        "encrypt.json": {"meta": meta, "vectors": encrypt_vectors()},
        "decrypt.json": {"meta": meta, "vectors": decrypt_vectors()},
        "invalid.json": {"meta": meta, "vectors": invalid_vectors()},
        "keys.json": {"meta": meta, **key_vectors()},
        "multi.json": {"meta": meta, **multi_vectors()},
    }
    stale = []
    for name, content in files.items():
        text = json.dumps(content, indent=2, ensure_ascii=False) + "\n"
        path = OUT / name
        if check:
            old = path.read_text(encoding="utf-8") if path.exists() else None
            # The versions in "meta" may differ; the vectors may not.
            if old is None or strip_meta(old) != strip_meta(text):
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
    if check and stale:
        print("out of date: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


def strip_meta(text: str) -> Any:
    data = json.loads(text)
    data.pop("meta", None)
    return data


if __name__ == "__main__":
    sys.exit(main())
