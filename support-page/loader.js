// The product key library (product-key-ffi compiled to WebAssembly) behind a small JavaScript
// API: the same C ABI the product calls, so the page judges keys with the library's own code
// and words. Used inline by the support page and, as a CommonJS module, by the Node tests.
//
// PkRequest on wasm32 (include/product_key.h): text 0, organization 4, day 8 (int64),
// public_keys 16, public_key_count 20, revocation_list 24, highest_sequence_seen 28; 32 bytes.
"use strict";
(function (root) {
  const REQUEST_SIZE = 32;
  const ABI_VERSION = 2;

  function createVerifier(wasmBytes) {
    const module = new WebAssembly.Module(wasmBytes);
    const wasm = new WebAssembly.Instance(module, {}).exports;
    if (wasm.pk_abi_version() !== ABI_VERSION) {
      throw new Error("the library's interface is version " + wasm.pk_abi_version() + ", not " + ABI_VERSION);
    }
    const encoder = new TextEncoder();
    const decoder = new TextDecoder("utf-8");

    // Every allocation of one call, released together.
    function scope(body) {
      const taken = [];
      const alloc = (len) => {
        const ptr = wasm.pk_alloc(len);
        taken.push([ptr, len]);
        return ptr;
      };
      try {
        return body(alloc);
      } finally {
        for (const [ptr, len] of taken) wasm.pk_dealloc(ptr, len);
      }
    }

    function bytesIn(alloc, bytes) {
      const ptr = alloc(Math.max(bytes.length, 1));
      new Uint8Array(wasm.memory.buffer, ptr, bytes.length).set(bytes);
      return ptr;
    }

    function textIn(alloc, text) {
      if (text === null || text === undefined) return 0;
      const bytes = encoder.encode(text);
      const ptr = alloc(bytes.length + 1);
      const view = new Uint8Array(wasm.memory.buffer, ptr, bytes.length + 1);
      view.set(bytes);
      view[bytes.length] = 0;
      return ptr;
    }

    function textOut(ptr) {
      const memory = new Uint8Array(wasm.memory.buffer);
      let end = ptr;
      while (memory[end] !== 0) end++;
      return decoder.decode(memory.subarray(ptr, end));
    }

    function staticName(ptr) {
      return ptr === 0 ? null : textOut(ptr);
    }

    // Runs one of the JSON exports; returns {code, error, value}.
    function callJson(exportName, request) {
      return scope((alloc) => {
        // Every allocation first: growing the memory detaches views made before it.
        const keys = request.publicKeys;
        const text = textIn(alloc, request.text);
        const organization = textIn(alloc, request.organization);
        const publicKeys = bytesIn(alloc, keys);
        const list = textIn(alloc, request.revocationList);
        const req = alloc(REQUEST_SIZE);
        const out = alloc(4);
        const view = new DataView(wasm.memory.buffer, req, REQUEST_SIZE);
        view.setUint32(0, text, true);
        view.setUint32(4, organization, true);
        view.setBigInt64(8, BigInt(request.day), true);
        view.setUint32(16, publicKeys, true);
        view.setUint32(20, keys.length / 32, true);
        view.setUint32(24, list, true);
        view.setUint32(28, request.highestSequenceSeen || 0, true);
        new DataView(wasm.memory.buffer, out, 4).setUint32(0, 0, true);
        const code = wasm[exportName](req, out);
        const ptr = new DataView(wasm.memory.buffer, out, 4).getUint32(0, true);
        let value = null;
        if (ptr !== 0) {
          value = JSON.parse(textOut(ptr));
          wasm.pk_free_string(ptr);
        }
        return { code, error: code === 0 ? null : staticName(wasm.pk_error_name(code)), value };
      });
    }

    return {
      // The 32 bytes of a public key from its PEM or hex text; throws with the reason.
      publicKey(text) {
        return scope((alloc) => {
          const textPtr = textIn(alloc, text);
          const out = alloc(32);
          const code = wasm.pk_public_key_from_text(textPtr, out);
          if (code !== 0) throw new Error("not a usable public key (" + staticName(wasm.pk_error_name(code)) + ")");
          return new Uint8Array(wasm.memory.buffer, out, 32).slice();
        });
      },
      // The JSON of `verifier check --json`.
      verify(request) {
        return callJson("pk_verify_json", request);
      },
      // What `verifier check` prints: headline, found, note, fields.
      explain(request) {
        return callJson("pk_explain_json", request);
      },
      // A revocation list's sequence, or the error's name.
      openList(text, publicKeys, highestSequenceSeen) {
        return scope((alloc) => {
          const listPtr = textIn(alloc, text);
          const keysPtr = bytesIn(alloc, publicKeys);
          const out = alloc(4);
          const code = wasm.pk_open_revocation_list(listPtr, keysPtr, publicKeys.length / 32, highestSequenceSeen || 0, out);
          const sequence = new DataView(wasm.memory.buffer, out, 4).getUint32(0, true);
          return code === 0 ? { error: null, sequence } : { error: staticName(wasm.pk_error_name(code)), sequence: null };
        });
      },
    };
  }

  // Days since 1970-01-01 of a "YYYY-MM-DD" date, as the library counts them.
  function dayOf(isoDate) {
    const [y, m, d] = isoDate.split("-").map(Number);
    return Math.floor(Date.UTC(y, m - 1, d) / 86400000);
  }

  const api = { createVerifier, dayOf };
  if (typeof module !== "undefined" && module.exports) {
    module.exports = api;
  } else {
    root.ProductKey = api;
  }
})(this);
