"""Writes every committed vector in the line format product-key-ffi/tests/c/vectors.c reads
(what product-key-ffi/tests/abi.rs writes for the Linux run; this is its twin for the run
under Wine, where no Rust test drives it): "name value" lines, texts in hex, "end" after each.

python3 flatten_vectors.py tests/vectors > vectors.txt   (prints the vector count on stderr)
"""
import datetime
import json
import pathlib
import sys

EPOCH = datetime.date(1970, 1, 1)
# The feature catalog (docs/key-format.md): bit n is the n-th name.
FEATURES = ["dataflow", "workflow", "subflow", "data-model", "report-model", "api-flow", "edi",
            "scheduler", "data-quality", "pushdown", "cdc", "cloud-connectors"]


def day(text):
    return (datetime.date.fromisoformat(text) - EPOCH).days


def hex_text(text):
    return text.encode("utf-8").hex()


def vectors(directory):
    paths = sorted(directory.glob("*.json"))
    if not paths:
        sys.exit(f"no vectors in {directory}")
    return [json.loads(p.read_text(encoding="utf-8")) for p in paths]


def main():
    directory = pathlib.Path(sys.argv[1])
    out = []
    for v in vectors(directory):
        out.append(f"key {v['name']}")
        out.append(f"text {hex_text(v['key'])}")
        if v["org"] is not None:
            out.append(f"org {hex_text(v['org'])}")
        out.append(f"day {day(v['at'])}")
        out.append("keys " + "".join(v["trusted_public_keys"]))
        if v.get("revocations"):
            out.append(f"list {hex_text(v['revocations'])}")
        out.append(f"expect {v['status']}")
        found = v["found"]
        out.append("found " + (f"{found['from']} {found['to']}" if found else "none"))
        if v["status"] == "valid":
            f = v["fields"]
            bits = sum(1 << FEATURES.index(n) for n in f["features"])
            bits |= sum(1 << b for b in f["unknown_feature_bits"])
            out.append(f"product {f['product']}")
            out.append(f"major_version {f['major_version']}")
            out.append(f"serial {f['serial']}")
            out.append(f"key_id {f['key_id']}")
            out.append(f"organization {hex_text(f['organization'])}")
            out.append(f"seats {'unlimited' if f['seats'] is None else f['seats']}")
            out.append(f"features {bits}")
            out.append(f"issued {day(f['issued'])}")
            out.append(f"expires {'never' if f['expires'] is None else day(f['expires'])}")
            out.append(f"supersedes {f['supersedes'] or 'none'}")
        out.append("end")
    lists = vectors(directory / "revocations")
    for v in lists:
        out.append(f"list-vector {v['name']}")
        out.append(f"list {hex_text(v['list'])}")
        out.append("keys " + "".join(v["trusted_public_keys"]))
        out.append(f"highest {v['highest_sequence_seen']}")
        out.append(f"expect {v['expect']}")
        if v.get("sequence") is not None:
            out.append(f"sequence {v['sequence']}")
        out.append("end")
    sys.stdout.write("\n".join(out) + "\n")
    print(out.count("end"), file=sys.stderr)


if __name__ == "__main__":
    main()
