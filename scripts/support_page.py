"""The two steps of scripts/support-page.sh that touch untrusted text, kept out of shell:

  python3 support_page.py keys FILE...       each public key file as 64 hex digits, one a line
  python3 support_page.py page --keys HEX... --wasm FILE --out FILE
                                              the page: the library, the keys and the loader
                                              inlined, its Content-Security-Policy naming the
                                              SHA-256 of each inline script

A key file is refused unless it is exactly an Ed25519 SPKI PEM (what `keygen init` writes) or
64 hex digits: only the decoded key, as hex, is ever written into the page, never the file's
text, so no file can put markup or script into it. (The page checks each key again with the
library: on the curve, not of small order.)
"""
import base64
import binascii
import datetime
import hashlib
import json
import pathlib
import re
import sys

# The DER prefix of an Ed25519 SubjectPublicKeyInfo: SEQUENCE, AlgorithmIdentifier with the
# OID 1.3.101.112, BIT STRING of 33 bytes (no unused bits), then the 32-byte key.
SPKI_ED25519 = bytes.fromhex("302a300506032b6570032100")
REPO = pathlib.Path(__file__).resolve().parent.parent


class Refused(Exception):
    pass


def key_hex(path):
    data = pathlib.Path(path).read_bytes()
    if len(data) > 4096:
        raise Refused(f"{path} is not a public key file ({len(data)} bytes; a PEM key has about 113)")
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as e:
        raise Refused(f"{path} is not a public key file (byte {e.start + 1} is not ASCII)") from None
    if "PRIVATE KEY" in text:
        raise Refused(f"{path} is a private key: give the public key (public-key.pem beside it)")
    stripped = text.strip()
    if re.fullmatch(r"[0-9a-fA-F]{64}", stripped):
        return stripped.lower()
    lines = [line.strip() for line in stripped.splitlines()]
    if len(lines) >= 3 and lines[0] == "-----BEGIN PUBLIC KEY-----" and lines[-1] == "-----END PUBLIC KEY-----":
        body = "".join(lines[1:-1])
        if re.fullmatch(r"[A-Za-z0-9+/]+={0,2}", body):
            try:
                der = base64.b64decode(body, validate=True)
            except binascii.Error:
                der = b""
            if len(der) == len(SPKI_ED25519) + 32 and der.startswith(SPKI_ED25519):
                return der[len(SPKI_ED25519):].hex()
    raise Refused(f"{path} is not a public key file: it must be an Ed25519 SPKI PEM "
                  "(-----BEGIN PUBLIC KEY-----) or 64 hex digits, and nothing else")


def sha256_source(text):
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def page(keys, wasm, out):
    for key in keys:
        if not re.fullmatch(r"[0-9a-f]{64}", key):
            raise Refused(f"not a key in hex: {key!r}")
    template = (REPO / "support-page" / "page.html").read_text(encoding="utf-8")
    loader = (REPO / "support-page" / "loader.js").read_text(encoding="utf-8")
    wasm_base64 = base64.b64encode(pathlib.Path(wasm).read_bytes()).decode("ascii")
    data = "\n".join([
        f"const TRUSTED_KEYS = {json.dumps(keys)};",
        f"const BUILT_ON = {json.dumps(datetime.datetime.now(datetime.timezone.utc).date().isoformat())};",
        f"const WASM_BASE64 = {json.dumps(wasm_base64)};",
    ])
    lines = []
    for line in template.split("\n"):
        if line == "<!-- @LOADER@ -->":
            lines.append("<script>\n" + loader + "</script>")
        elif line == "/* @DATA@ */":
            lines.append(data)
        else:
            lines.append(line)
    html = "\n".join(lines)
    scripts = re.findall(r"<script>(.*?)</script>", html, flags=re.DOTALL)
    if len(scripts) != 2 or "@SCRIPT_HASHES@" not in html:
        raise Refused("support-page/page.html: expected two inline scripts and @SCRIPT_HASHES@ in its policy")
    html = html.replace("@SCRIPT_HASHES@", " ".join(sha256_source(s) for s in scripts), 1)
    pathlib.Path(out).write_text(html, encoding="utf-8")


def main(argv):
    try:
        if argv[:1] == ["keys"] and len(argv) > 1:
            print("\n".join(key_hex(path) for path in argv[1:]))
        elif argv[:1] == ["page"] and "--wasm" in argv and "--out" in argv and "--keys" in argv:
            wasm = argv[argv.index("--wasm") + 1]
            out = argv[argv.index("--out") + 1]
            keys = argv[argv.index("--keys") + 1:]
            keys = keys[:next((i for i, k in enumerate(keys) if k.startswith("--")), len(keys))]
            page(keys, wasm, out)
        else:
            print(__doc__.strip(), file=sys.stderr)
            return 2
    except (Refused, OSError) as e:
        print(e, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
