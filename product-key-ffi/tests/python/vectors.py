"""Checks every committed vector through the C ABI from Python's ctypes, as a Python host
would call the library: python3 vectors.py path/to/libproduct_key.so path/to/tests/vectors

The declarations below mirror include/product_key.h; docs/embedding.md shows the same.
"""
import ctypes
import datetime
import json
import pathlib
import sys

EPOCH = datetime.date(1970, 1, 1)
FEATURES = ["dataflow", "workflow", "subflow", "data-model", "report-model", "api-flow", "edi",
            "scheduler", "data-quality", "pushdown", "cdc", "cloud-connectors"]


class PkRequest(ctypes.Structure):
    _fields_ = [
        ("text", ctypes.c_char_p),
        ("organization", ctypes.c_char_p),
        ("day", ctypes.c_int64),
        ("public_keys", ctypes.c_char_p),
        ("public_key_count", ctypes.c_size_t),
        ("revocation_list", ctypes.c_char_p),
        ("highest_sequence_seen", ctypes.c_uint32),
    ]


class PkCheck(ctypes.Structure):
    _fields_ = [
        ("text", ctypes.c_char_p),
        ("organization", ctypes.c_char_p),
        ("day", ctypes.c_int64),
        ("revocation_list", ctypes.c_char_p),
        ("highest_sequence_seen", ctypes.c_uint32),
    ]


class PkVerdict(ctypes.Structure):
    _fields_ = [
        ("status", ctypes.c_int),
        ("exit_code", ctypes.c_int32),
        ("valid", ctypes.c_bool),
        ("trusted", ctypes.c_bool),
        ("has_key", ctypes.c_bool),
        ("product", ctypes.c_char * 9),
        ("major_version", ctypes.c_uint8),
        ("serial", ctypes.c_uint64),
        ("key_id", ctypes.c_uint8 * 4),
        ("organization", ctypes.c_void_p),
        ("seats", ctypes.c_uint16),
        ("seats_unlimited", ctypes.c_bool),
        ("features", ctypes.c_uint64),
        ("issued", ctypes.c_int32),
        ("perpetual", ctypes.c_bool),
        ("expires", ctypes.c_int32),
        ("has_supersedes", ctypes.c_bool),
        ("supersedes", ctypes.c_uint64),
        ("found", ctypes.c_bool),
        ("found_from", ctypes.c_size_t),
        ("found_to", ctypes.c_size_t),
        ("revocations_applied", ctypes.c_bool),
        ("revocation_sequence", ctypes.c_uint32),
        ("message", ctypes.c_void_p),
        ("key_text", ctypes.c_void_p),
    ]


def load(path):
    lib = ctypes.CDLL(path)
    lib.pk_abi_version.restype = ctypes.c_uint32
    lib.pk_verify.argtypes = [ctypes.POINTER(PkRequest), ctypes.POINTER(PkVerdict)]
    lib.pk_verify.restype = ctypes.c_int
    lib.pk_verify_json.argtypes = [ctypes.POINTER(PkRequest), ctypes.POINTER(ctypes.c_void_p)]
    lib.pk_verify_json.restype = ctypes.c_int
    lib.pk_verifier_new.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_void_p)]
    lib.pk_verifier_new.restype = ctypes.c_int
    lib.pk_verifier_free.argtypes = [ctypes.c_void_p]
    lib.pk_verifier_verify.argtypes = [ctypes.c_void_p, ctypes.POINTER(PkCheck), ctypes.POINTER(PkVerdict)]
    lib.pk_verifier_verify.restype = ctypes.c_int
    lib.pk_verifier_verify_json.argtypes = [ctypes.c_void_p, ctypes.POINTER(PkCheck), ctypes.POINTER(ctypes.c_void_p)]
    lib.pk_verifier_verify_json.restype = ctypes.c_int
    lib.pk_open_revocation_list.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t,
                                            ctypes.c_uint32, ctypes.POINTER(ctypes.c_uint32)]
    lib.pk_open_revocation_list.restype = ctypes.c_int
    lib.pk_status_name.argtypes = [ctypes.c_int32]
    lib.pk_status_name.restype = ctypes.c_char_p
    lib.pk_error_name.argtypes = [ctypes.c_int32]
    lib.pk_error_name.restype = ctypes.c_char_p
    lib.pk_free_string.argtypes = [ctypes.c_void_p]
    lib.pk_verdict_free.argtypes = [ctypes.POINTER(PkVerdict)]
    return lib


def day(text):
    return (datetime.date.fromisoformat(text) - EPOCH).days


def text(ptr):
    return ctypes.string_at(ptr).decode("utf-8") if ptr else None


def main():
    lib = load(sys.argv[1])
    vectors = pathlib.Path(sys.argv[2])
    assert lib.pk_abi_version() == 2, "this script was written for ABI version 2"
    mismatches = []
    count = 0

    def expect(name, what, wanted, got):
        if wanted != got:
            mismatches.append(f"{name}: {what}: expected {wanted!r}, got {got!r}")

    for path in sorted(vectors.glob("*.json")):
        v = json.loads(path.read_text(encoding="utf-8"))
        name = v["name"]
        keys = b"".join(bytes.fromhex(k) for k in v["trusted_public_keys"])
        request = PkRequest(
            v["key"].encode("utf-8"),
            v["org"].encode("utf-8") if v["org"] is not None else None,
            day(v["at"]),
            keys,
            len(keys) // 32,
            v["revocations"].encode("utf-8") if v.get("revocations") else None,
            0,
        )
        check = PkCheck(request.text, request.organization, request.day, request.revocation_list, 0)
        verifier = ctypes.c_void_p()
        code = lib.pk_verifier_new(keys, len(keys) // 32, ctypes.byref(verifier))
        expect(name, "pk_verifier_new", "ok", lib.pk_error_name(code).decode())
        once = PkVerdict()
        code = lib.pk_verify(ctypes.byref(request), ctypes.byref(once))
        expect(name, "pk_verify", "ok", lib.pk_error_name(code).decode())
        verdict = PkVerdict()
        code = lib.pk_verifier_verify(verifier, ctypes.byref(check), ctypes.byref(verdict))
        expect(name, "pk_verifier_verify", "ok", lib.pk_error_name(code).decode())
        for field, _ in PkVerdict._fields_:
            if field in ("organization", "message", "key_text"):
                expect(name, f"handle {field}", text(getattr(once, field)), text(getattr(verdict, field)))
            elif field not in ("product", "key_id"):
                expect(name, f"handle {field}", getattr(once, field), getattr(verdict, field))
        lib.pk_verdict_free(ctypes.byref(once))
        expect(name, "status", v["status"], lib.pk_status_name(verdict.status).decode())
        found = v["found"]
        expect(name, "found", (found["from"], found["to"]) if found else None,
               (verdict.found_from, verdict.found_to) if verdict.found else None)
        if v["status"] == "valid":
            f = v["fields"]
            bits = sum(1 << FEATURES.index(n) for n in f["features"]) + sum(1 << b for b in f["unknown_feature_bits"])
            got = {
                "product": verdict.product.decode(),
                "major_version": verdict.major_version,
                "serial": f"{verdict.serial:016x}",
                "key_id": bytes(verdict.key_id).hex(),
                "organization": text(verdict.organization),
                "seats": None if verdict.seats_unlimited else verdict.seats,
                "features": verdict.features,
                "issued": verdict.issued,
                "expires": None if verdict.perpetual else verdict.expires,
                "supersedes": f"{verdict.supersedes:016x}" if verdict.has_supersedes else None,
            }
            wanted = {
                "product": f["product"], "major_version": f["major_version"], "serial": f["serial"],
                "key_id": f["key_id"], "organization": f["organization"], "seats": f["seats"],
                "features": bits, "issued": day(f["issued"]),
                "expires": day(f["expires"]) if f["expires"] else None, "supersedes": f["supersedes"],
            }
            for field in wanted:
                expect(name, field, wanted[field], got[field])
        key_text = text(verdict.key_text)
        expect(name, "key_text present", verdict.has_key, key_text is not None)
        if key_text is not None:
            expect(name, "key_text canonical", True, key_text.startswith(f"{verdict.product.decode()}{verdict.major_version}-") and not any(c in key_text for c in "\r\n> "))
        lib.pk_verdict_free(ctypes.byref(verdict))

        out = ctypes.c_void_p()
        code = lib.pk_verify_json(ctypes.byref(request), ctypes.byref(out))
        document = json.loads(text(out.value))
        lib.pk_free_string(out)
        out = ctypes.c_void_p()
        code = lib.pk_verifier_verify_json(verifier, ctypes.byref(check), ctypes.byref(out))
        expect(name, "handle json", document, json.loads(text(out.value)))
        lib.pk_free_string(out)
        lib.pk_verifier_free(verifier)
        expect(name, "json status", v["status"], document["status"])
        expect(name, "json key_text", key_text, document["key_text"])
        if v["status"] == "valid":
            for field in ("serial", "organization", "seats", "expires", "features", "supersedes"):
                expect(name, f"json {field}", v["fields"][field], document["key"][field])
        count += 1

    for path in sorted((vectors / "revocations").glob("*.json")):
        v = json.loads(path.read_text(encoding="utf-8"))
        keys = b"".join(bytes.fromhex(k) for k in v["trusted_public_keys"])
        sequence = ctypes.c_uint32()
        code = lib.pk_open_revocation_list(v["list"].encode("utf-8"), keys, len(keys) // 32,
                                           v["highest_sequence_seen"], ctypes.byref(sequence))
        wanted = "ok" if v["expect"] == "ok" else "list_" + v["expect"]
        expect(v["name"], "list", wanted, lib.pk_error_name(code).decode())
        if v["expect"] == "ok":
            expect(v["name"], "sequence", v["sequence"], sequence.value)
        count += 1

    for line in mismatches:
        print(line)
    print(f"{count} vectors checked, {len(mismatches)} mismatches")
    sys.exit(1 if mismatches or count == 0 else 0)


if __name__ == "__main__":
    main()
