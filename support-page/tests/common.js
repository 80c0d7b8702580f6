// What both page tests need: the committed vectors, and what `verifier check` says of them.
"use strict";
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

function readVector(dir, name) {
  return JSON.parse(fs.readFileSync(path.join(dir, name.endsWith(".json") ? name : `${name}.json`), "utf8"));
}

// Runs `verifier check` on the vector's text (through stdin, as pasted), with its date,
// organization, trusted keys and list; returns stdout (exit codes 3 to 8 are verdicts).
function runVerifier(verifierPath, vector, json) {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "page-verifier-"));
  try {
    const args = ["check", "-", "--at", vector.at];
    if (json) args.push("--json");
    vector.trusted_public_keys.forEach((hex, i) => {
      const keyFile = path.join(scratch, `key${i}.hex`);
      fs.writeFileSync(keyFile, hex);
      args.push("--public-key", keyFile);
    });
    if (vector.org !== null) args.push(`--org=${vector.org}`);
    if (vector.revocations) {
      const listFile = path.join(scratch, "list.txt");
      fs.writeFileSync(listFile, vector.revocations);
      args.push("--revocations", listFile);
    }
    const env = { ...process.env, NO_COLOR: "1" };
    delete env.VERIFIER_REVOCATIONS;
    delete env.VERIFIER_PUBLIC_KEYS;
    try {
      return execFileSync(verifierPath, args, { input: vector.key, env }).toString("utf8");
    } catch (e) {
      if (e.status >= 3 && e.status <= 8) return e.stdout.toString("utf8");
      throw e;
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

module.exports = { readVector, runVerifier };
