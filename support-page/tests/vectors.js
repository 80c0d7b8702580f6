// The WebAssembly library reaches the committed verdict of every vector, and its JSON is
// exactly what `verifier check --json` prints for the same input (the same words, from one
// place). Usage: node vectors.js product_key.wasm tests/vectors path/to/verifier
"use strict";
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { createVerifier, dayOf } = require("../loader.js");
const { runVerifier } = require("./common.js");

const [wasmPath, vectorsDir, verifierPath] = process.argv.slice(2);
const library = createVerifier(fs.readFileSync(wasmPath));
const mismatches = [];
let count = 0;

function check(name, what, body) {
  try {
    body();
  } catch (e) {
    mismatches.push(`${name}: ${what}: ${e.message}`);
  }
}

function keysOf(vector) {
  return Buffer.concat(vector.trusted_public_keys.map((hex) => Buffer.from(hex, "hex")));
}

function verifierJson(vector) {
  return JSON.parse(runVerifier(verifierPath, vector, true));
}

for (const file of fs.readdirSync(vectorsDir).filter((f) => f.endsWith(".json")).sort()) {
  const vector = JSON.parse(fs.readFileSync(path.join(vectorsDir, file), "utf8"));
  const name = vector.name;
  const request = {
    text: vector.key,
    organization: vector.org,
    day: dayOf(vector.at),
    publicKeys: keysOf(vector),
    revocationList: vector.revocations || null,
  };
  const result = library.verify(request);
  check(name, "call", () => assert.equal(result.error, null));
  const json = result.value;
  check(name, "status", () => assert.equal(json.status, vector.status));
  check(name, "found", () =>
    assert.deepEqual(json.found && { from: json.found.from, to: json.found.to }, vector.found));
  if (vector.status === "valid") {
    for (const [field, value] of Object.entries(vector.fields)) {
      check(name, field, () => assert.deepEqual(json.key[field], value));
    }
  }
  check(name, "same JSON as verifier check --json", () => assert.deepEqual(json, verifierJson(vector)));
  const explained = library.explain(request).value;
  check(name, "explanation", () => {
    assert.equal(explained.status, vector.status);
    assert.equal(explained.headline, json.message);
  });
  count++;
}

const listsDir = path.join(vectorsDir, "revocations");
for (const file of fs.readdirSync(listsDir).filter((f) => f.endsWith(".json")).sort()) {
  const vector = JSON.parse(fs.readFileSync(path.join(listsDir, file), "utf8"));
  const opened = library.openList(vector.list, keysOf(vector), vector.highest_sequence_seen);
  check(vector.name, "list", () => {
    assert.equal(opened.error, vector.expect === "ok" ? null : `list_${vector.expect}`);
    if (vector.expect === "ok") assert.equal(opened.sequence, vector.sequence);
  });
  count++;
}

for (const line of mismatches) console.log(line);
console.log(`${count} vectors checked, ${mismatches.length} mismatches`);
process.exit(mismatches.length === 0 && count > 0 ? 0 : 1);
