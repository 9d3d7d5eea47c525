// Digest emails (issues 16 and 25), JavaScript off and on: an admin sets up a link's digest on its
// settings page (errors next to the field, values kept, redirect after each change). A new
// recipient gets one email that only asks them to confirm; they confirm (or decline) on a page
// that opening does not change, with no session. Then previews reach them, and a real SMTP server
// in this process receives it all. The recipient opens the unsubscribe link from a digest (one
// click), undoes it, and a mail client's RFC 8058 one-click POST works too. The schedule itself
// (once per period across instances and restarts) is tested in server/digests/digests.test.ts
// with a clock it controls. This server allows 2 sites per account (MAX_SITES_PER_ACCOUNT).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { startMailCatcher } from "../lib/mail.mjs";
import { addSite, signUp } from "../lib/admin-http.mjs";
import { axeCheck, config, fieldError, jsOn, launchBrowser, newContext, overflows, ready, screenshot, submit, visit } from "../lib/browser.mjs";
import { Client } from "../lib/http.mjs";
import { eventsWritten } from "../lib/ingest.mjs";
import { trpc } from "../lib/link-scope-fixtures.mjs";

const DOMAIN = `digest-js-${config.js}.example`;
const ADMIN = `digest-${config.js}@example.com`;
const CONFIRM_SUBJECT = "Please confirm: do you want this analytics digest?";
const PASSWORD = "digest password 24680";
const admin = new Client(config.baseUrl, { ip: `10.81.${jsOn ? 1 : 2}.1` });
let inbox;
let catcher;
const run = promisify(execFile);

let browser;
let page;
let link;
let digestPath;

before(async () => {
  catcher = await startMailCatcher();
  inbox = catcher.inbox;
  browser = await launchBrowser();
  await signUp(admin, ADMIN, "correct horse battery staple");
  await addSite(admin, DOMAIN);
  const visitor = new Client(config.baseUrl, { ip: "198.51.100.81", headers: { "User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0" } });
  assert.equal((await visitor.request("/api/event", { json: { name: "pageview", url: `https://${DOMAIN}/digest-page`, domain: DOMAIN, referrer: null } })).status, 202);
  await eventsWritten();
  const created = await trpc(admin, "sharedLinks.create", { site: DOMAIN, name: "Client digest", password: PASSWORD }, { mutation: true });
  assert.equal(created.status, 200, created.body);
  link = created.data;
  digestPath = `/sites/${DOMAIN}/settings/visibility/shared-links/${link.id}/digest`;
  const context = await newContext(browser);
  await context.addCookies([{ name: "glimpse_session", value: admin.cookie("glimpse_session"), url: config.baseUrl }]);
  page = await context.newPage();
});

after(async () => {
  await browser?.close();
  await catcher?.close();
});

const waitForMail = (count) => catcher.waitForMail(count);

/** The confirmation page's address in a confirmation email. */
const confirmUrlOf = (mail) => /(http:\/\/\S+\/subscribe\/[A-Za-z0-9_-]{32})\s/.exec(mail.text)[1];

describe(`email digests (JavaScript ${config.js})`, () => {
  it("is reached from the link's settings and says digests are on", async () => {
    await visit(page, `/sites/${DOMAIN}/settings/visibility/shared-links/${link.id}/edit`);
    await page.getByRole("link", { name: "Set up the email digest" }).click();
    await page.waitForURL(`**${digestPath}`);
    await ready(page);
    await page.getByRole("heading", { name: "Email digest of “Client digest”" }).waitFor();
    assert.equal(await page.getByText("Digests are off on this server").count(), 0);
    await page.getByText("No recipients yet.").waitFor();
  });

  it("refuses a bad address next to its field and keeps what was typed", async () => {
    await page.getByLabel("Email", { exact: true }).fill("not-an-address");
    await page.getByLabel("Name (optional)").fill("Ann Client");
    const res = await submit(page, page.getByRole("button", { name: "Add recipient" }));
    assert.equal(res.status(), 400);
    await ready(page);
    assert.match((await fieldError(page, "field-email")) ?? "", /valid email address/);
    assert.equal(await page.getByLabel("Email", { exact: true }).inputValue(), "not-an-address");
    assert.equal(await page.getByLabel("Name (optional)").inputValue(), "Ann Client");
    assert.deepEqual(await axeCheck(page, "digest-error", async (probe) => {
      await probe.getByLabel("Email", { exact: true }).fill("not-an-address");
      await probe.getByRole("button", { name: "Add recipient" }).click();
      await probe.locator("#field-email-error").waitFor();
    }), []);
  });

  it("sends nothing until the admin confirmed their own address, with a mailed link and a button", async () => {
    // Sign-up takes any address: until its owner proves it, no mail goes out in the account's name.
    await page.getByLabel("Email", { exact: true }).fill("ann@client.test");
    const refused = await submit(page, page.getByRole("button", { name: "Add recipient" }));
    assert.equal(refused.status(), 409);
    await ready(page);
    await page.getByText(/Confirm your own email address first/).first().waitFor();
    assert.equal(inbox.length, 0);
    await visit(page, "/account");
    await page.getByText("Not confirmed").waitFor();
    await submit(page, page.getByRole("button", { name: "Send confirmation link" }));
    await page.getByRole("status").getByText(`We sent a confirmation link to ${ADMIN}.`, { exact: false }).waitFor();
    const mail = await waitForMail(1);
    assert.equal(mail.to.value[0].address, ADMIN);
    assert.doesNotMatch(mail.text, /Client digest|digest-js/, "nothing the admin typed is in it");
    const confirmUrl = new URL(/(http:\/\/\S+\/confirm-email\/\S+)\s/.exec(mail.text)[1]);
    // Someone else who reads the link (signed out) is asked to log in: only the account confirms.
    const reader = await (await newContext(browser)).newPage();
    await visit(reader, confirmUrl.pathname);
    await reader.getByRole("link", { name: "Log in to confirm" }).waitFor();
    assert.equal(await reader.getByRole("button", { name: "Yes, this is my address" }).count(), 0);
    await screenshot(reader, "confirm-email-signed-out");
    await reader.context().close();
    await visit(page, confirmUrl.pathname);
    await page.getByRole("heading", { name: "Confirm your email address" }).waitFor();
    await screenshot(page, "confirm-email");
    assert.deepEqual(await axeCheck(page, "confirm-email"), []);
    await submit(page, page.getByRole("button", { name: "Yes, this is my address" }));
    await page.getByRole("status").getByText(`${ADMIN} is confirmed.`).waitFor();
    await page.getByText("Confirmed", { exact: true }).waitFor();
    inbox.splice(0);
    await visit(page, digestPath);
    // Back where the admin was, with the name they had typed before the refusal.
    await page.getByLabel("Name (optional)").fill("Ann Client");
  });

  it("adds a recipient, who gets only an email asking them to confirm, and a weekly schedule", async () => {
    await page.getByLabel("Email", { exact: true }).fill("ann@client.test");
    const added = await submit(page, page.getByRole("button", { name: "Add recipient" }));
    assert.ok([200, 202, 204, 302, 303].includes(added.status()), `add: ${added.status()}`);
    await page.getByRole("status").getByText("ann@client.test added. They get an email asking them to confirm, and digests only once they do.").waitFor();
    await page.getByRole("cell", { name: "ann@client.test", exact: true }).waitFor();
    await page.getByRole("cell", { name: /^Waiting for confirmation/ }).waitFor();
    const mail = await waitForMail(1);
    assert.equal(mail.subject, CONFIRM_SUBJECT);
    assert.equal(mail.to.value[0].address, "ann@client.test");
    assert.equal(mail.to.value[0].name, "", "the name the admin typed is not in the To line");
    assert.ok(mail.text.includes(`${ADMIN} added ann@client.test to an email digest of the website analytics of ${DOMAIN}`), mail.text);
    for (const part of [mail.text, mail.html]) assert.ok(!part.includes("Client digest") && !part.includes("Ann Client"), "nothing the admin typed");
    // No preview for someone who has not confirmed; the resend waits an hour.
    assert.equal(await page.getByRole("button", { name: "Send preview to ann@client.test" }).count(), 0);
    await page.getByText(/resend possible after /).waitFor();
    await page.getByLabel(/^Weekly/).check();
    await submit(page, page.getByRole("button", { name: "Save schedule" }));
    await page.getByRole("status").getByText("Digest set to weekly").waitFor();
    assert.equal(await page.getByLabel(/^Weekly/).isChecked(), true);
    await page.getByText("No digest goes out until a recipient has confirmed.").waitFor();
    await screenshot(page, "digest-waiting");
    assert.deepEqual(await axeCheck(page, "digest-waiting"), []);
    const context = await newContext(browser);
    const reader = await context.newPage();
    await reader.setContent(mail.html);
    await screenshot(reader, "confirmation-email");
    await context.close();
  });

  it("the recipient confirms from the email with no login: opening the page changes nothing, the button does", async () => {
    const url = confirmUrlOf(inbox[0]);
    const context = await newContext(browser);
    const recipient = await context.newPage();
    const res = await recipient.goto(url);
    await ready(recipient);
    assert.equal(res.status(), 200);
    assert.equal(res.headers()["referrer-policy"], "no-referrer");
    assert.match(res.headers()["x-robots-tag"] ?? "", /noindex/);
    await recipient.getByRole("heading", { name: "Do you want this analytics digest?" }).waitFor();
    await recipient.getByText(`${ADMIN} added ann@client.test to an email digest of the website analytics of ${DOMAIN}`, { exact: false }).waitFor();
    await screenshot(recipient, "confirm-page");
    assert.deepEqual(await axeCheck(recipient, "confirm-page"), []);
    // A mail scanner's GET (and a HEAD) left them waiting.
    assert.equal((await new Client(config.baseUrl, { ip: "203.0.113.82" }).request(new URL(url).pathname, { method: "HEAD" })).status, 200);
    await visit(page, digestPath);
    await page.getByRole("cell", { name: /^Waiting for confirmation/ }).waitFor();
    await submit(recipient, recipient.getByRole("button", { name: "Yes, send me the digest" }));
    await recipient.getByRole("heading", { name: "You’re subscribed" }).waitFor();
    await screenshot(recipient, "confirmed-page");
    await context.close();
    await visit(page, digestPath);
    await page.getByRole("cell", { name: /^Confirmed/ }).waitFor();
    await page.getByText(/^Next digest: /).waitFor();
    await screenshot(page, "digest-settings");
    assert.deepEqual(await axeCheck(page, "digest-settings"), []);
  });

  let unsubscribeUrl;
  it("sends a preview that a real mail server receives: scoped summary and URL, never the password", async () => {
    await submit(page, page.getByRole("button", { name: "Send preview to ann@client.test" }));
    await page.getByRole("status").getByText(/^Preview of .+ sent to ann@client\.test$/).waitFor();
    const mail = await waitForMail(2);
    assert.match(mail.subject, /^\[Preview\] Weekly digest: Client digest \(digest-js-(on|off)\.example\), /);
    assert.equal(mail.to.value[0].address, "ann@client.test");
    assert.equal(mail.to.value[0].name, "Ann Client");
    assert.ok(mail.text.includes(link.url), "the dashboard URL is in the text part");
    assert.ok(mail.html.includes(link.url), "and in the HTML part");
    for (const part of [mail.text, mail.html]) assert.ok(!part.includes(PASSWORD), "no password");
    assert.match(mail.text, /Unique visitors\s+\d/);
    const header = mail.headerLines.find((h) => h.key === "list-unsubscribe").line;
    unsubscribeUrl = /<(.+)>/.exec(header)[1];
    assert.ok(mail.text.includes(unsubscribeUrl));
    assert.ok(unsubscribeUrl.startsWith(`${config.baseUrl}/unsubscribe/`), unsubscribeUrl);
    // How the HTML part reads in a mail client (no scripts, no app styles).
    const context = await newContext(browser);
    const reader = await context.newPage();
    await reader.setContent(mail.html);
    await screenshot(reader, "digest-email");
    await context.close();
  });

  it("sends a preview to the admin's own address", async () => {
    await submit(page, page.getByRole("button", { name: "Send preview to me" }));
    await page.getByRole("status").getByText(`sent to ${ADMIN}`, { exact: false }).waitFor();
    const mail = await waitForMail(3);
    assert.equal(mail.to.value[0].address, ADMIN);
    assert.match(mail.subject, /^\[Preview\] Weekly digest: /);
    assert.equal(mail.headerLines.find((h) => h.key === "list-unsubscribe"), undefined);
  });

  it("unsubscribes in one click from the email, with no login, and can be undone", async () => {
    const context = await newContext(browser);
    const recipient = await context.newPage();
    const res = await recipient.goto(unsubscribeUrl);
    await ready(recipient);
    assert.equal(res.status(), 200);
    assert.equal(res.headers()["referrer-policy"], "no-referrer");
    await recipient.getByRole("heading", { name: "You’re unsubscribed" }).waitFor();
    await recipient.getByText("ann@client.test").waitFor();
    await screenshot(recipient, "unsubscribed");
    assert.deepEqual(await axeCheck(recipient, "unsubscribed"), []);
    await submit(recipient, recipient.getByRole("button", { name: "Subscribe again" }));
    await recipient.getByRole("heading", { name: "You’re subscribed again" }).waitFor();
    // Reloading where the undo landed does not unsubscribe again.
    await recipient.reload();
    await recipient.getByRole("heading", { name: "You’re subscribed again" }).waitFor();
    await context.close();
  });

  it("takes a mail client's one-click POST (RFC 8058), and the admin sees it", async () => {
    const mailClient = new Client(config.baseUrl, { ip: "203.0.113.81" });
    const path = new URL(unsubscribeUrl).pathname;
    // A link checker's HEAD changes nothing.
    assert.equal((await mailClient.request(path, { method: "HEAD" })).status, 200);
    await visit(page, digestPath);
    await page.getByRole("cell", { name: /^Confirmed/ }).waitFor();
    const res = await mailClient.post(path, { "List-Unsubscribe": "One-Click" });
    assert.equal(res.status, 200, res.body);
    assert.match(res.body, /ann@client\.test is unsubscribed/);
    await visit(page, digestPath);
    await page.getByRole("cell", { name: /^Unsubscribed / }).waitFor();
    // The admin cannot override it, and no preview goes to them.
    assert.equal(await page.getByRole("button", { name: "Send preview to ann@client.test" }).count(), 0);
    await page.getByLabel("Email", { exact: true }).fill("ANN@client.test");
    const refused = await submit(page, page.getByRole("button", { name: "Add recipient" }));
    assert.equal(refused.status(), 400);
    await ready(page);
    assert.match((await fieldError(page, "field-email")) ?? "", /unsubscribed on .+; only they can subscribe again/);
    const bad = await mailClient.request(`/unsubscribe/${"a".repeat(32)}`);
    assert.equal(bad.status, 404);
    assert.match(bad.body, /Unsubscribe link not valid/);
  });

  it("a recipient who wants nothing says so from the email, and cannot be added to the site's digests again", async () => {
    await visit(page, digestPath);
    await page.getByLabel("Email", { exact: true }).fill("bob@client.test");
    await submit(page, page.getByRole("button", { name: "Add recipient" }));
    await page.getByRole("status").getByText(/^bob@client\.test added\./).waitFor();
    const mail = await waitForMail(4);
    assert.equal(mail.subject, CONFIRM_SUBJECT);
    const declineUrl = /(http:\/\/\S+\/subscribe\/[A-Za-z0-9_-]{32}\?choice=decline)/.exec(mail.text)[1];
    const context = await newContext(browser);
    const recipient = await context.newPage();
    await visit(recipient, declineUrl);
    await submit(recipient, recipient.getByRole("button", { name: "Don’t send me anything from this site" }));
    await recipient.getByRole("heading", { name: "You won’t get this digest" }).waitFor();
    await recipient.getByText("and no one can add you to that site’s digests again", { exact: false }).waitFor();
    await screenshot(recipient, "declined-page");
    await context.close();
    // A mail client's own unsubscribe button on the confirmation email (RFC 8058) says the same.
    const mailClient = new Client(config.baseUrl, { ip: "203.0.113.83" });
    const oneClick = await mailClient.post(new URL(confirmUrlOf(mail)).pathname, { "List-Unsubscribe": "One-Click" });
    assert.equal(oneClick.status, 200, oneClick.body);
    await visit(page, digestPath);
    await page.getByRole("row", { name: /bob@client\.test/ }).getByText("Unsubscribed").waitFor();
    await page.getByLabel("Email", { exact: true }).fill("BOB@client.test");
    const refused = await submit(page, page.getByRole("button", { name: "Add recipient" }));
    assert.equal(refused.status(), 400);
    await ready(page);
    assert.equal((await fieldError(page, "field-email")) ?? "", "BOB@client.test asked to get nothing from this site’s digests, so they cannot be added");
    assert.equal(await page.getByLabel("Email", { exact: true }).inputValue(), "BOB@client.test");
    const bad = await mailClient.request(`/subscribe/${"a".repeat(32)}`);
    assert.equal(bad.status, 404);
    assert.match(bad.body, /Confirmation link not valid/);
    assert.equal(inbox.length, 4, "nothing else was sent");
  });

  it("removes a recipient", async () => {
    await submit(page, page.getByRole("button", { name: "Remove ann@client.test" }));
    await page.getByRole("status").getByText("Recipient removed").waitFor();
    await submit(page, page.getByRole("button", { name: "Remove bob@client.test" }));
    await page.getByRole("status").getByText("Recipient removed").waitFor();
    await page.getByText("No recipients yet.").waitFor();
  });

  it("an account has at most MAX_SITES_PER_ACCOUNT sites: the site form says so and keeps what was typed", async () => {
    await visit(page, "/sites/new");
    await page.getByLabel("Domain").fill(`second-${config.js}.example`);
    await submit(page, page.getByRole("button", { name: "Add site" }));
    await page.getByRole("status").getByText(`second-${config.js}.example added.`, { exact: false }).waitFor();
    await visit(page, "/sites/new");
    await page.getByLabel("Domain").fill(`third-${config.js}.example`);
    const refused = await submit(page, page.getByRole("button", { name: "Add site" }));
    assert.equal(refused.status(), 403);
    await ready(page);
    await page.getByRole("alert").getByText("An account can own at most 2 sites on this server, and yours has 2.", { exact: false }).waitFor();
    assert.equal(await page.getByLabel("Domain").inputValue(), `third-${config.js}.example`);
    await screenshot(page, "site-cap");
    assert.deepEqual(await axeCheck(page, "site-cap", async (probe) => {
      await probe.getByLabel("Domain").fill(`third-${config.js}.example`);
      await probe.getByRole("button", { name: "Add site" }).click();
      await probe.getByRole("alert").waitFor();
    }), []);
  });

  it("the links CLI says a confirmation was sent, refuses a preview to someone who has not confirmed, and previews to me", async () => {
    assert.equal((await admin.post("/account/api-keys", { intent: "create", name: "Digest CLI" })).status, 302);
    const key = /glk_[A-Za-z0-9_-]+/.exec((await admin.get("/account/api-keys")).body)?.[0];
    assert.ok(key, "a new API key");
    const env = { ...process.env, GLIMPSE_URL: config.baseUrl, GLIMPSE_API_KEY: key };
    const cli = (...args) => run("npx", ["tsx", "scripts/links.ts", "digest", "--site", DOMAIN, "--name", "Client digest", ...args], { cwd: config.root, env });
    const added = await cli("--add", "carol@client.test");
    assert.match(added.stdout, /Confirmation sent to carol@client\.test: they get digests once they confirm\./);
    assert.match(added.stdout, /carol@client\.test\s+waiting for confirmation \(asked \d{4}-/);
    assert.equal((await waitForMail(5)).subject, CONFIRM_SUBJECT);
    const refused = await cli("--preview", "carol@client.test").catch((e) => e);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /carol@client\.test has not confirmed yet, so nothing is sent to them\. .* \(CONFLICT\)/);
    const mine = await cli("--preview", "me");
    assert.match(mine.stdout, new RegExp(`Preview of \\d{4}-\\d\\d-\\d\\d\\.\\.\\d{4}-\\d\\d-\\d\\d sent to ${ADMIN}\\.`));
    assert.equal((await waitForMail(6)).to.value[0].address, ADMIN);
  });

  it("no page was wider than the screen", () => {
    assert.deepEqual(overflows, []);
  });
});
