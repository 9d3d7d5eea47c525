// Digest emails (issue 16), JavaScript off and on: an admin sets up a link's digest on its settings
// page (errors next to the field, values kept, redirect after each change), sends a preview, and a
// real SMTP server in this process receives it. The recipient opens the unsubscribe link from the
// email with no session (one click), undoes it, and a mail client's RFC 8058 one-click POST works
// too. The schedule itself (once per period across instances and restarts) is tested in
// server/digests/digests.test.ts with a clock it controls.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";
import { addSite, signUp } from "../lib/admin-http.mjs";
import { axeCheck, config, fieldError, jsOn, launchBrowser, newContext, ready, screenshot, submit, visit } from "../lib/browser.mjs";
import { Client } from "../lib/http.mjs";
import { eventsWritten } from "../lib/ingest.mjs";
import { trpc } from "../lib/link-scope-fixtures.mjs";

const DOMAIN = `digest-js-${config.js}.example`;
const PASSWORD = "digest password 24680";
const admin = new Client(config.baseUrl, { ip: `10.81.${jsOn ? 1 : 2}.1` });
const inbox = [];

const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ["STARTTLS", "AUTH"],
  logger: false,
  onData(stream, _session, callback) {
    simpleParser(stream).then((mail) => {
      inbox.push(mail);
      callback();
    }, callback);
  },
});

let browser;
let page;
let link;
let digestPath;

before(async () => {
  const port = Number(process.env.E2E_SMTP_PORT);
  assert.ok(port > 0, "the runner gives this spec an SMTP port");
  await new Promise((resolve) => smtp.listen(port, "127.0.0.1", resolve));
  browser = await launchBrowser();
  await signUp(admin, `digest-${config.js}@example.com`, "correct horse battery staple");
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
  await new Promise((resolve) => smtp.close(resolve));
});

async function waitForMail(count) {
  for (let i = 0; i < 100 && inbox.length < count; i++) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(inbox.length, count, "mails received");
  return inbox[count - 1];
}

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

  it("adds a recipient and a weekly schedule, each with a redirect and a message", async () => {
    await page.getByLabel("Email", { exact: true }).fill("ann@client.test");
    const added = await submit(page, page.getByRole("button", { name: "Add recipient" }));
    assert.ok([200, 202, 204, 302, 303].includes(added.status()), `add: ${added.status()}`);
    await page.getByRole("status").getByText("ann@client.test added").waitFor();
    await page.getByRole("cell", { name: "ann@client.test", exact: true }).waitFor();
    await page.getByLabel(/^Weekly/).check();
    await submit(page, page.getByRole("button", { name: "Save schedule" }));
    await page.getByRole("status").getByText("Digest set to weekly").waitFor();
    assert.equal(await page.getByLabel(/^Weekly/).isChecked(), true);
    await page.getByText(/^Next digest: /).waitFor();
    await screenshot(page, "digest-settings");
    assert.deepEqual(await axeCheck(page, "digest-settings"), []);
  });

  let unsubscribeUrl;
  it("sends a preview that a real mail server receives: scoped summary and URL, never the password", async () => {
    await submit(page, page.getByRole("button", { name: "Send preview to ann@client.test" }));
    await page.getByRole("status").getByText(/^Preview of .+ sent to ann@client\.test$/).waitFor();
    const mail = await waitForMail(1);
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
    await page.getByRole("cell", { name: "No digest yet" }).waitFor();
    const res = await mailClient.request(path, { method: "POST", body: "List-Unsubscribe=One-Click", headers: { "Content-Type": "application/x-www-form-urlencoded" } });
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

  it("removes a recipient", async () => {
    await submit(page, page.getByRole("button", { name: "Remove ann@client.test" }));
    await page.getByRole("status").getByText("Recipient removed").waitFor();
    await page.getByText("No recipients yet.").waitFor();
  });
});
