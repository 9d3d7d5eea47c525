// Accounts (issue 29), JavaScript off and on, against a real SMTP server in this process: a
// forgotten password is reset from the login page by mail (old sessions end, the link works once);
// /account lists sessions; two-factor sign-in is turned on with the QR page (the code computed
// here from the secret on the page), the password alone then opens nothing, a recovery code works
// once, and turning it off needs the password and a code. Screenshots and axe on every new page.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { base32 } from "oslo/encoding";
import { generateHOTP } from "oslo/otp";
import { startMailCatcher } from "../lib/mail.mjs";
import { signUp } from "../lib/admin-http.mjs";
import { axeCheck, config, fieldError, jsOn, launchBrowser, newContext, overflows, ready, screenshot, submit, visit } from "../lib/browser.mjs";
import { Client } from "../lib/http.mjs";

const EMAIL = `accounts-${config.js}@example.com`;
const FIRST = "first password 13579";
const SECOND = "second password 24680";
let inbox;
let catcher;
const earlier = new Client(config.baseUrl, { ip: `10.82.${jsOn ? 1 : 2}.1` });

let browser;
let page;
let secret;
let recoveryCodes;

before(async () => {
  catcher = await startMailCatcher();
  inbox = catcher.inbox;
  browser = await launchBrowser();
  await signUp(earlier, EMAIL, FIRST);
  page = await (await newContext(browser)).newPage();
});

after(async () => {
  await browser?.close();
  await catcher?.close();
});

const waitForMail = (count) => catcher.waitForMail(count);

/** The code an authenticator app shows `steps` periods from now. */
async function codeFor(steps = 0) {
  return generateHOTP(base32.decode(secret), Math.floor(Date.now() / 30_000) + steps, 6);
}

async function logIn(target, password) {
  await visit(target, "/login");
  await target.getByLabel("Email").fill(EMAIL);
  await target.getByLabel("Password").fill(password);
  return submit(target, target.getByRole("button", { name: "Log in" }));
}

describe(`accounts (JavaScript ${config.js})`, () => {
  it("asks for a reset link from the login page and answers the same for an unknown address", async () => {
    await visit(page, "/login");
    await page.getByRole("link", { name: "Forgot your password?" }).click();
    await page.waitForURL("**/forgot-password");
    await ready(page);
    await screenshot(page, "forgot-password");
    assert.deepEqual(await axeCheck(page, "forgot-password"), []);
    await page.getByLabel("Email").fill("nobody@example.com");
    await submit(page, page.getByRole("button", { name: "Send reset link" }));
    await page.getByRole("status").getByText("If an account uses nobody@example.com, we sent it a link").waitFor();
    await page.getByLabel("Email").fill(EMAIL);
    await submit(page, page.getByRole("button", { name: "Send reset link" }));
    await page.getByRole("status").getByText(`If an account uses ${EMAIL}, we sent it a link`).waitFor();
    const mail = await waitForMail(1);
    assert.equal(mail.to.value[0].address, EMAIL);
    assert.equal(inbox.length, 1, "no mail for the unknown address");
  });

  it("sets a new password from the link once, keeping nothing typed on a 400, and ends the old sessions", async () => {
    const url = /(http:\/\/\S+\/reset-password\/[A-Za-z0-9_-]{43})/.exec(inbox[0].text)[1];
    const path = new URL(url).pathname;
    const opened = await visit(page, path);
    assert.equal(opened.headers()["referrer-policy"], "no-referrer");
    await page.getByRole("heading", { name: "Choose a new password" }).waitFor();
    await page.getByLabel("New password").fill("short");
    const refused = await submit(page, page.getByRole("button", { name: "Set new password" }));
    assert.equal(refused.status(), 400);
    await ready(page);
    assert.match((await fieldError(page, "field-password")) ?? "", /at least 12 characters/);
    await screenshot(page, "reset-password-error");
    assert.deepEqual(await axeCheck(page, "reset-password"), []);
    await page.getByLabel("New password").fill(SECOND);
    await submit(page, page.getByRole("button", { name: "Set new password" }));
    await page.waitForURL("**/login");
    await page.getByRole("status").getByText("Your password was changed").waitFor();
    const old = await earlier.request("/account");
    assert.equal(old.status, 302, "the session from before the reset is gone");
    assert.equal((await visit(page, path)).status(), 410);
    await page.getByText("This reset link has expired or was already used.").waitFor();
  });

  it("lists this browser's session on /account and logs out everywhere else", async () => {
    const other = new Client(config.baseUrl, { ip: "10.82.9.9", headers: { "User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1" } });
    assert.equal((await other.post("/login", { email: EMAIL, password: SECOND })).status, 302);
    await logIn(page, SECOND);
    await page.waitForURL((u) => u.pathname === "/");
    await page.getByRole("link", { name: "Account", exact: true }).click();
    await page.waitForURL("**/account");
    await ready(page);
    await page.getByText("This browser", { exact: true }).waitFor();
    await page.getByRole("cell", { name: "Safari on iOS" }).waitFor();
    await screenshot(page, "account");
    assert.deepEqual(await axeCheck(page, "account"), []);
    await submit(page, page.getByRole("button", { name: "Log out everywhere else" }));
    await page.getByRole("status").getByText("Logged out 1 other session.").waitFor();
    assert.equal((await other.request("/account")).status, 302);
  });

  it("turns on two-factor sign-in with the QR page and shows the recovery codes once", async () => {
    await submit(page, page.getByRole("button", { name: "Turn on" }));
    await page.waitForURL("**/account/two-factor");
    await ready(page);
    assert.equal(await page.locator(".qr-code svg").count(), 1);
    secret = (await page.locator("code.api-key").innerText()).replace(/\s+/g, "");
    assert.match(secret, /^[A-Z2-7]{32}$/);
    await screenshot(page, "two-factor-setup");
    assert.deepEqual(await axeCheck(page, "two-factor-setup"), []);
    // The first code and the password: a session alone (an unattended browser) cannot turn it on.
    await page.getByLabel("Code from the app").fill(await codeFor());
    assert.equal((await submit(page, page.getByRole("button", { name: "Turn on" }))).status(), 400);
    await page.getByText("Enter your password").first().waitFor();
    await page.getByLabel("Code from the app").fill("000000" === (await codeFor()) ? "111111" : "000000");
    await page.getByLabel("Your password").fill(SECOND);
    assert.equal((await submit(page, page.getByRole("button", { name: "Turn on" }))).status(), 400);
    await ready(page);
    // Without JavaScript the page comes back from the server, which never sends a password back
    // (with it, the browser keeps what was typed in its own field).
    if (!jsOn) assert.equal(await page.getByLabel("Your password").inputValue(), "", "a password is never sent back");
    await page.getByLabel("Code from the app").fill(await codeFor());
    await page.getByLabel("Your password").fill(SECOND);
    await submit(page, page.getByRole("button", { name: "Turn on" }));
    await page.getByRole("heading", { name: "Your recovery codes" }).waitFor();
    recoveryCodes = await page.locator(".recovery-codes code").allInnerTexts();
    assert.equal(recoveryCodes.length, 10);
    await screenshot(page, "two-factor-recovery-codes");
    await visit(page, "/account/two-factor");
    assert.equal(new URL(page.url()).pathname, "/account", "the codes are shown once");
  });

  it("with two-factor on, the password alone opens nothing; a recovery code works once, and an app code", async () => {
    const context = await newContext(browser);
    const fresh = await context.newPage();
    await logIn(fresh, SECOND);
    await fresh.getByRole("heading", { name: "Enter your code" }).waitFor();
    assert.equal((await context.cookies()).some((c) => c.name === "glimpse_session"), false, "no session after the password");
    await screenshot(fresh, "login-code");
    assert.deepEqual(await axeCheck(fresh, "login-code"), []);
    await fresh.getByLabel("Code").fill(recoveryCodes[0]);
    await submit(fresh, fresh.getByRole("button", { name: "Log in" }));
    await fresh.waitForURL((u) => u.pathname === "/");
    await context.close();

    const again = await (await newContext(browser)).newPage();
    await logIn(again, SECOND);
    await again.getByLabel("Code").fill(recoveryCodes[0]);
    const reused = await submit(again, again.getByRole("button", { name: "Log in" }));
    assert.equal(reused.status(), 401);
    await ready(again);
    await again.getByRole("alert").getByText("That code is not right.").waitFor();
    // The next period's code: the one used to turn it on cannot be used again.
    await again.getByLabel("Code").fill(await codeFor(1));
    await submit(again, again.getByRole("button", { name: "Log in" }));
    await again.waitForURL((u) => u.pathname === "/");
    await again.context().close();
  });

  it("turns it off with the password and a code", async () => {
    await visit(page, "/account");
    await page.locator("#totp-off-password").fill(SECOND);
    await page.getByLabel("Code", { exact: true }).fill(recoveryCodes[1]);
    await submit(page, page.getByRole("button", { name: "Turn off two-factor sign-in" }));
    await page.getByRole("status").getByText("Two-factor sign-in is off.").waitFor();
    assert.deepEqual(overflows, []);
  });
});
