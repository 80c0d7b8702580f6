// The desk as a team meets it, end to end in headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core, as the support page's test): a real `keygen desk` on loopback,
// people added with `keygen desk user add`, every step through the labelled pages.
// sales signs in, issues, finds with a transliteration, renews, amends; operations uploads a
// batch with a mistake, sees the problems, uploads it fixed, issues it and downloads keys.csv;
// support reads the renewal report; an admin revokes (preview, confirm, the list); each signs
// out. Screenshots of the main pages go to the folder given.
//
// Usage: node keygen/tests/desk/browser.js path/to/keygen [screenshots-dir]
// playwright-core is support-page's (npm ci --prefix support-page).
"use strict";
const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { spawn, execFileSync } = require("node:child_process");

const repo = path.resolve(__dirname, "../../..");
const { chromium } = require(require.resolve("playwright-core", {
  paths: [path.join(repo, "support-page/node_modules"), ...(process.env.NODE_PATH || "").split(":").filter(Boolean)],
}));

const [keygenArg, shotsArg] = process.argv.slice(2);
if (!keygenArg) {
  console.error("usage: node keygen/tests/desk/browser.js path/to/keygen [screenshots-dir]");
  process.exit(2);
}
const keygen = path.resolve(keygenArg);
const shots = shotsArg ? path.resolve(shotsArg) : null;
const PASSWORD = "a long test password 7";

function run(args, dir) {
  return execFileSync(keygen, args, { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

// Starts the desk on a port the system chooses; resolves with its URL once it says so.
function startDesk(dir) {
  const child = spawn(keygen, ["desk", "--key", "signing-key.pem", "--listen", "127.0.0.1:0"], {
    cwd: dir, stdio: ["ignore", "ignore", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let err = "";
    child.stderr.on("data", (chunk) => {
      err += chunk;
      const m = /serving on (http:\/\/[^/\s]+)\//.exec(err);
      if (m) resolve({ child, url: m[1] });
    });
    child.on("exit", (code) => reject(new Error(`keygen desk exited (${code}): ${err}`)));
  });
}

async function shot(page, name) {
  if (shots) await page.screenshot({ path: path.join(shots, `desk-${name}.png`), fullPage: true });
}

async function signIn(page, url, user) {
  await page.goto(url + "/signin");
  await page.getByLabel("User", { exact: true }).fill(user);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/find$/);
}

async function signOut(page) {
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/\/signin$/);
  await page.getByRole("button", { name: "Sign in" }).waitFor();
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "keygen-desk-e2e-"));
  run(["init", "--dir", "."], dir);
  const pw = path.join(dir, "pw.txt");
  fs.writeFileSync(pw, PASSWORD + "\n", { mode: 0o600 });
  for (const [name, role] of [["sam", "sales"], ["olga", "operations"], ["sue", "support"], ["ada", "admin"]]) {
    run(["desk", "user", "add", name, "--role", role, "--password-file", pw, "--key", "signing-key.pem"], dir);
  }
  const { child, url } = await startDesk(dir);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    // A refused form's status (422) and the favicon's 404 are logged as "Failed to load
    // resource"; the steps check the pages themselves. Anything else is a script's error
    // (a Content-Security-Policy violation among them).
    page.on("console", (m) => {
      if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) errors.push(m.text());
    });

    // Sales: sign in, issue.
    await page.goto(url + "/signin");
    await shot(page, "signin");
    await signIn(page, url, "sam");
    await page.getByRole("link", { name: "Issue" }).click();
    await page.getByLabel("Organization").fill("Müller Logistik GmbH");
    await page.getByLabel("Edition").selectOption("standard");
    await page.getByLabel("Seats").fill("12");
    await page.getByLabel("Features").fill("");
    await page.getByLabel("Order").fill("A-1001");
    await page.getByLabel("Contact").fill("it@mueller.example");
    await shot(page, "issue");
    await page.getByRole("button", { name: "Issue key" }).click();
    const key = await page.locator("[data-product-key]").getAttribute("data-product-key");
    assert.match(key, /^AST/, "the new key is shown");
    assert.match(await page.locator("#customer-block").textContent(), /Müller Logistik GmbH/);
    await page.getByRole("button", { name: "Copy e-mail text" }).waitFor();
    await shot(page, "issued");

    // Find it with a transliteration, open its page.
    await page.getByRole("link", { name: "Find" }).click();
    await page.getByLabel("Search").fill("Mueller");
    await page.getByRole("button", { name: "Find" }).click();
    await page.locator("table.keys").getByText("Müller Logistik GmbH").waitFor();
    await shot(page, "find");
    await page.locator("table.keys a").first().click();
    assert.equal(await page.locator("[data-product-key]").getAttribute("data-product-key"), key);
    assert.match(await page.locator("ol.story").textContent(), /sam/, "the story names who issued it");
    await shot(page, "key");

    // Renew, then amend the renewal.
    await page.getByRole("button", { name: "Renew" }).click();
    await page.getByRole("heading", { name: "Key renewed" }).waitFor();
    const renewed = await page.locator("[data-product-key]").getAttribute("data-product-key");
    assert.notEqual(renewed, key);
    await page.locator("main a[href^='/key/']").first().click();
    await page.getByLabel("Seats").fill("30");
    await page.getByRole("button", { name: "Amend" }).click();
    await page.getByRole("heading", { name: "Key amended" }).waitFor();
    assert.match(await page.locator("#customer-block").textContent(), /30/);
    await signOut(page);

    // Operations: a batch with a mistake, then fixed.
    await signIn(page, url, "olga");
    await page.getByRole("link", { name: "Batch" }).click();
    const bad = path.join(dir, "export.csv");
    fs.writeFileSync(bad, "organization,seats,order_id\nKöln Daten AG,zwölf,B-1\nGlobex,7,B-2\n");
    await page.getByLabel("CSV export").setInputFiles(bad);
    await page.getByLabel("Edition").fill("standard");
    await page.getByRole("button", { name: "Check" }).click();
    await page.getByRole("heading", { name: "Batch: problems" }).waitFor();
    assert.match(await page.locator("ul.problems").textContent(), /seats/);
    await shot(page, "batch-problems");
    fs.writeFileSync(bad, "organization,seats,order_id\nKöln Daten AG,12,B-1\nGlobex,7,B-2\n");
    await page.getByLabel("CSV export").setInputFiles(bad);
    await page.getByRole("button", { name: "Check" }).click();
    const issueAll = page.getByRole("button", { name: "Issue 2 keys" });
    await issueAll.waitFor();
    await issueAll.click();
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Download keys.csv" }).click(),
    ]);
    const csv = fs.readFileSync(await download.path(), "utf8");
    assert.equal(csv.trim().split(/\r?\n/).length, 3, csv);
    assert.match(csv, /AST/);
    await signOut(page);

    // Support: the renewal report.
    await signIn(page, url, "sue");
    await page.getByRole("link", { name: "Renewals" }).click();
    await page.getByLabel("Days").fill("800");
    await page.getByRole("button", { name: "Show" }).click();
    await page.locator("table.keys").getByText("Köln Daten AG").waitFor();
    await shot(page, "report");
    await signOut(page);

    // Admin: revoke the first key (it was replaced), preview then confirm.
    await signIn(page, url, "ada");
    await page.getByLabel("Search").fill("A-1001");
    await page.getByRole("button", { name: "Find" }).click();
    await page.locator("table.keys a").first().click();
    await page.getByLabel("Reason").fill("replaced");
    await page.getByRole("button", { name: "Revoke" }).click();
    await page.getByRole("heading", { name: "Revoke: preview" }).waitFor();
    await shot(page, "revoke-preview");
    await page.getByRole("button", { name: "Revoke 1 key" }).click();
    const [list] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: /Download revocation list 1/ }).click(),
    ]);
    assert.match(fs.readFileSync(await list.path(), "utf8"), /BEGIN REVOCATION LIST/);
    await page.getByRole("link", { name: "People" }).click();
    await shot(page, "people");
    await signOut(page);

    assert.deepEqual(errors, [], "no script errors");
    // The ledger holds it all, with who did it, and its chain is intact.
    const found = run(["ledger", "find", "--all", "--format", "json", "--key", "signing-key.pem"], dir)
      .trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(found.map((k) => k.actor), ["sam", "sam", "sam", "olga", "olga"]);
    run(["ledger", "verify", "--key", "signing-key.pem"], dir);
    console.log(`desk end to end: ok (${found.length} keys, 1 revocation list)`);
  } finally {
    await browser.close();
    child.kill("SIGTERM");
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
