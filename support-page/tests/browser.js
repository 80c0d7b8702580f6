// The support page as a person meets it: opened from disk in headless Chromium, used with the
// keyboard, checked for what a person reads (the same words as `verifier check`), for the
// screen reader's live region, for 200 % zoom, and for not one request leaving the page.
//
// Usage: node tests/browser.js support.html ../tests/vectors path/to/verifier [screenshot.png]
"use strict";
const assert = require("node:assert/strict");
const path = require("node:path");
const { chromium } = require("playwright-core");
const { readVector, runVerifier } = require("./common.js");

const [pagePath, vectorsDir, verifierPath, screenshot] = process.argv.slice(2);
const pageUrl = "file://" + path.resolve(pagePath);

// What the verifier prints for a vector: its headline, its "read the key from" line, and
// the field rows, as a person reads them in the terminal.
function verifierSays(vector) {
  const json = JSON.parse(runVerifier(verifierPath, vector, true));
  const lines = runVerifier(verifierPath, vector, false).split("\n");
  const found = lines.find((l) => l.startsWith("read the key from")) || "";
  const rows = lines
    .filter((l) => /^ {2}\S/.test(l) && !l.startsWith("  (") && !l.startsWith("  UNTRUSTED"))
    .map((l) => {
      const m = /^ {2}(.{13}) (.*)$/.exec(l);
      return { name: m[1].trim(), value: m[2] };
    })
    .filter((row) => row.name !== "Revocations");
  return { headline: json.message, found, rows, status: json.status, keyText: json.key_text };
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
    // Playwright starts Chromium with a new, empty profile of its own.
  });
  const failures = [];
  const requests = [];
  try {
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    context.on("request", (request) => requests.push(request.url()));
    // Test instrumentation, from outside the page: every WebAssembly instance is counted, and
    // its pk_explain_json can be made to trap once (a real trap of the module: an allocation
    // of 4 GiB panics, which the page's wasm build turns into `unreachable`).
    await context.addInitScript(() => {
      const Real = WebAssembly.Instance;
      globalThis.__pkInstances = 0;
      globalThis.__pkTrapNext = false;
      WebAssembly.Instance = function (module, imports) {
        const real = new Real(module, imports);
        globalThis.__pkInstances++;
        const exports = Object.assign({}, real.exports);
        exports.pk_explain_json = (...args) => {
          if (globalThis.__pkTrapNext) {
            globalThis.__pkTrapNext = false;
            real.exports.pk_alloc(0xfffffff0);
          }
          return real.exports.pk_explain_json(...args);
        };
        return { exports };
      };
    });
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    await page.goto(pageUrl);

    async function scenario(name, body) {
      try {
        await body();
        console.log(`ok   ${name}`);
      } catch (e) {
        failures.push(`${name}: ${e.message}`);
        console.log(`FAIL ${name}: ${e.message}`);
      }
    }

    // Fills the form as a person would, from the keyboard only, and submits with Ctrl+Enter.
    async function check(vector, { list = null } = {}) {
      await page.reload();
      await page.locator("#key").focus();
      await page.keyboard.insertText(vector.key); // a paste: one input event with the whole text
      await page.keyboard.press("Tab");
      if (vector.org !== null) await page.keyboard.insertText(vector.org);
      await page.keyboard.press("Tab");
      const [y, m, d] = vector.at.split("-");
      await page.locator("#day").fill(`${y}-${m}-${d}`);
      if (list !== null) {
        await page.locator("#list-box summary").press("Enter");
        await page.locator("#list").focus();
        await page.keyboard.insertText(list);
      }
      await page.keyboard.press("Control+Enter");
      await page.locator("#result:not([hidden])").waitFor();
    }

    async function reads() {
      return {
        headline: (await page.locator("#headline").innerText()).trim(),
        found: (await page.locator("#found").innerText()).trim(),
        status: await page.locator("#result").getAttribute("data-status"),
        keyText: (await page.locator("#key-text").isVisible()) ? await page.locator("#key-text-value").innerText() : null,
        live: (await page.locator("[role=status][aria-live=polite]").innerText()).trim(),
        rows: await page.locator("#fields dt").evaluateAll((dts) =>
          dts.map((dt) => ({ name: dt.textContent, value: dt.nextElementSibling.textContent }))),
      };
    }

    async function sameAsVerifier(vectorName) {
      const vector = readVector(vectorsDir, vectorName);
      await check(vector);
      const shown = await reads();
      const said = verifierSays(vector);
      assert.equal(shown.headline, said.headline);
      assert.ok(shown.live.includes(said.headline), "the live region announces the headline");
      assert.equal(shown.found.toLowerCase(), said.found ? said.found + "." : "");
      assert.deepEqual(shown.rows.filter((r) => r.name !== "Revocations"), said.rows);
      assert.equal(shown.status, said.status, "data-status holds the status name");
      assert.equal(shown.keyText, said.keyText, "the clean key, as verifier check --json gives it");
      return { vector, shown };
    }

    await scenario("the page loads with no error and the library's key built in", async () => {
      assert.match(await page.locator("#about").innerText(), /Trusts 1 signing key of the vendor/);
      assert.equal(await page.locator("button[type=submit]").isDisabled(), false);
    });

    await scenario("in Chromium, the page's library gives verifier check --json's verdict on every vector", async () => {
      const fs = require("node:fs");
      const keyVectors = fs.readdirSync(vectorsDir).filter((f) => f.endsWith(".json")).sort()
        .map((f) => readVector(vectorsDir, f));
      const cases = keyVectors.map((v) => ({
        name: v.name,
        request: { text: v.key, organization: v.org, at: v.at, keys: v.trusted_public_keys, list: v.revocations || null },
        expected: JSON.parse(runVerifier(verifierPath, v, true)),
      }));
      const listsDir = path.join(vectorsDir, "revocations");
      const lists = fs.readdirSync(listsDir).filter((f) => f.endsWith(".json")).sort()
        .map((f) => readVector(listsDir, f));
      const mismatches = await page.evaluate(({ cases, lists }) => {
        // The page's own module and loader, as its form uses them.
        const wasm = Uint8Array.from(atob(WASM_BASE64), (c) => c.charCodeAt(0));
        const library = ProductKey.createVerifier(wasm);
        const keysOf = (hexes) => Uint8Array.from(hexes.join("").match(/../g).map((h) => parseInt(h, 16)));
        const out = [];
        for (const c of cases) {
          const got = library.verify({
            text: c.request.text, organization: c.request.organization, day: ProductKey.dayOf(c.request.at),
            publicKeys: keysOf(c.request.keys), revocationList: c.request.list,
          }).value;
          if (JSON.stringify(got) !== JSON.stringify(c.expected)) out.push(`${c.name}: ${JSON.stringify(got)}`);
        }
        for (const l of lists) {
          const opened = library.openList(l.list, keysOf(l.trusted_public_keys), l.highest_sequence_seen);
          const want = l.expect === "ok" ? null : `list_${l.expect}`;
          if (opened.error !== want || (want === null && opened.sequence !== l.sequence)) out.push(`${l.name}: ${JSON.stringify(opened)}`);
        }
        return out;
      }, { cases, lists });
      assert.deepEqual(mismatches, []);
      assert.ok(cases.length > 100 && lists.length > 10, `${cases.length} key vectors, ${lists.length} lists`);
    });

    await scenario("the form shows verifier check's headline on every vector a form field can hold", async () => {
      // A textarea turns CR LF into LF and a text field drops line breaks, as a person's paste
      // would be: those few vectors are checked through the library above instead.
      const fs = require("node:fs");
      const vectors = fs.readdirSync(vectorsDir).filter((f) => f.endsWith(".json")).sort()
        .map((f) => readVector(vectorsDir, f))
        .filter((v) => !v.key.includes("\r") && !(v.org || "").match(/[\r\n]/))
        // The page trusts the keys it was built with (the vectors' usual one).
        .filter((v) => v.trusted_public_keys.join() === readVector(vectorsDir, "all_features").trusted_public_keys.join());
      const wrong = [];
      await page.reload();
      await page.locator("#list-box summary").click(); // the list field is inside a closed <details>
      for (const vector of vectors) {
        await page.locator("#key").fill(vector.key);
        await page.locator("#org").fill(vector.org === null ? "" : vector.org);
        await page.locator("#day").fill(vector.at);
        await page.locator("#list").fill(vector.revocations || "");
        await page.locator("#check button[type=submit]").click();
        const shown = (await page.locator("#headline").innerText()).trim();
        const said = JSON.parse(runVerifier(verifierPath, vector, true)).message;
        // An empty organization field means no check, as in verifier check without --org.
        if (vector.org === "") continue;
        if (shown !== said) wrong.push(`${vector.name}: shown ${JSON.stringify(shown)}, verifier ${JSON.stringify(said)}`);
      }
      assert.deepEqual(wrong, []);
      assert.ok(vectors.length > 100, `${vectors.length} vectors`);
    });

    await scenario("every field has a label", async () => {
      const unlabelled = await page.locator("textarea, input").evaluateAll((fields) =>
        fields.filter((f) => !(f.labels && f.labels.length > 0)).map((f) => f.id));
      assert.deepEqual(unlabelled, []);
    });

    await scenario("a valid key shows VALID and its fields, in the verifier's words", async () => {
      const { shown } = await sameAsVerifier("all_features");
      assert.match(shown.headline, /^VALID: this key unlocks AST 8 for 'Acme Analytics GmbH'/);
      assert.deepEqual(shown.rows.find((r) => r.name === "Seats"), { name: "Seats", value: "25 clients" });
      assert.equal(await page.locator("#result").getAttribute("class"), "valid");
      assert.equal(await page.locator("#result").getAttribute("data-status"), "valid");
    });

    await scenario("a typo is told with the character to check", async () => {
      const { shown } = await sameAsVerifier("crc_damage_one_character");
      assert.match(shown.headline, /^NOT VALID: .*character \d+ is probably/);
      assert.equal(await page.locator("#result").getAttribute("class"), "invalid");
      assert.equal(await page.locator("#result").getAttribute("data-status"), "malformed");
    });

    await scenario("a key inside a quoted e-mail is found and checked against the organization", async () => {
      const { shown } = await sameAsVerifier("paste_email_quoting_over_lines");
      assert.match(shown.headline, /^VALID/);
      assert.match(shown.found, /^Read the key from characters \d+ to \d+ of the text\.$/);
      // The clean key to store: no quote markers, no line breaks.
      assert.match(shown.keyText, /^AST8-[0-9A-Z-]+$/);
    });

    await scenario("a typo inside an e-mail", async () => {
      const { shown } = await sameAsVerifier("paste_typo_inside_an_email");
      assert.match(shown.headline, /^NOT VALID/);
    });

    await scenario("a mismatched organization says what was entered and what the key holds", async () => {
      const { shown } = await sameAsVerifier("org_mismatch");
      assert.match(shown.headline, /^NOT VALID: .*'Acme Corp'/);
    });

    await scenario("a version 7 key in an e-mail: the customer needs a version 8 key", async () => {
      const { shown } = await sameAsVerifier("version_7_key_in_an_email");
      assert.match(shown.headline, /version 7/);
    });

    await scenario("a revocation list pasted in the page is applied", async () => {
      const vector = readVector(vectorsDir, "revoked");
      await check({ ...vector }, { list: vector.revocations });
      const shown = await reads();
      assert.equal(shown.headline, verifierSays(vector).headline);
      assert.match(shown.rows.find((r) => r.name === "Revocations").value, /^checked against list \d+ of /);
    });

    await scenario("a list signed by another key is refused, not ignored", async () => {
      const vector = readVector(vectorsDir, "all_features");
      const list = readVector(path.join(vectorsDir, "revocations"), "signed_by_an_untrusted_key").list;
      await check(vector, { list });
      const shown = await reads();
      assert.match(shown.headline, /^NOT CHECKED: cannot use the revocation list: .*unknown key/);
      assert.equal(await page.locator("#result").getAttribute("class"), "failed");
      assert.equal(await page.locator("#result").getAttribute("data-status"), "error");
    });

    await scenario("a WebAssembly trap: an error shown, never the verdict before, and a fresh instance after", async () => {
      const vector = readVector(vectorsDir, "all_features");
      await check(vector);
      assert.match((await reads()).headline, /^VALID/);
      const instances = await page.evaluate(() => globalThis.__pkInstances);
      await page.evaluate(() => { globalThis.__pkTrapNext = true; });
      await page.locator("#check button[type=submit]").click();
      const trapped = await reads();
      assert.match(trapped.headline, /^NOT CHECKED: the key check failed inside this page \(.+\); it was restarted: check the key again/);
      assert.doesNotMatch(trapped.live, /VALID:/);
      assert.deepEqual(trapped.rows, []);
      assert.equal(trapped.keyText, null);
      assert.equal(trapped.status, "error");
      assert.equal(await page.locator("#result").getAttribute("class"), "failed");
      assert.equal(await page.evaluate(() => globalThis.__pkTrapNext), false, "the trap fired");
      assert.equal(await page.evaluate(() => globalThis.__pkInstances), instances + 1, "a fresh instance");
      await page.locator("#check button[type=submit]").click();
      const again = await reads();
      assert.match(again.headline, /^VALID/);
      assert.equal(again.status, "valid");
    });

    await scenario("the policy runs only the page's own scripts: by hash, no 'unsafe-inline'", async () => {
      const policy = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute("content");
      const scriptSrc = policy.split(";").map((d) => d.trim()).find((d) => d.startsWith("script-src "));
      assert.ok(scriptSrc && !scriptSrc.includes("'unsafe-inline'"), policy);
      assert.equal((scriptSrc.match(/'sha256-[A-Za-z0-9+/]{43}='/g) || []).length, 2, scriptSrc);
      // A script put into the page (as an injection would) does not run. In a page of its own:
      // the refusal is reported as a console error, which the page under test must not have.
      const probe = await context.newPage();
      try {
        await probe.goto(pageUrl);
        const ran = await probe.evaluate(() => {
          const s = document.createElement("script");
          s.textContent = "window.__injected = true;";
          document.body.append(s);
          return window.__injected === true;
        });
        assert.equal(ran, false, "an inline script without the page's hash ran");
        assert.match(await probe.locator("#about").innerText(), /Trusts 1 signing key/, "the page's own scripts ran");
      } finally {
        await probe.close();
      }
    });

    await scenario("the button works as well as Ctrl+Enter", async () => {
      await page.reload();
      await page.locator("#key").fill(readVector(vectorsDir, "all_features").key);
      await page.locator("#day").fill("2027-01-01");
      await page.getByRole("button", { name: "Check key" }).click();
      assert.match(await page.locator("#headline").innerText(), /^VALID/);
    });

    await scenario("readable at 200 % zoom: nothing runs off the side", async () => {
      await page.setViewportSize({ width: 550, height: 900 });
      await sameAsVerifier("paste_email_quoting_over_lines");
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `the page is ${overflow} px wider than the window`);
      await page.setViewportSize({ width: 1100, height: 900 });
    });

    if (screenshot) {
      await sameAsVerifier("paste_email_quoting_over_lines");
      await page.evaluate(() => document.activeElement.blur());
      await page.screenshot({ path: screenshot, fullPage: true });
    }

    await scenario("no script error", async () => assert.deepEqual(errors, []));
  } finally {
    await browser.close();
  }
  const outside = requests.filter((url) => !url.startsWith("file://"));
  if (outside.length > 0) failures.push(`requests left the page: ${outside.join(", ")}`);
  else console.log(`ok   not one request left the page (${requests.length} file:// loads)`);
  console.log(`${failures.length} failures`);
  process.exit(failures.length === 0 ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
