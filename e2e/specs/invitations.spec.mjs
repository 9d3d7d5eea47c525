// Invitations (issue 29, item 3), JavaScript off and on, against a real SMTP server in this
// process: an admin invites from site settings → General (a 400 keeps what was typed; a member
// cannot be invited); the mail's link lets a person without an account choose a password and land
// on the site; a person with an account accepts after logging in as that address, and someone
// else logged in gets nothing; Resend waits ten minutes; Revoke kills the link; roles change and
// the owner stays. Screenshots and axe on the new pages.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startMailCatcher } from "../lib/mail.mjs";
import { addSite, signUp } from "../lib/admin-http.mjs";
import { axeCheck, config, fieldError, jsOn, launchBrowser, newContext, overflows, ready, screenshot, submit, visit } from "../lib/browser.mjs";
import { Client } from "../lib/http.mjs";

const PASSWORD = "owner password 97531";
const OWNER = `inviter-${config.js}@example.com`;
const NEWCOMER = `newcomer-${config.js}@example.com`;
const EXISTING = `existing-${config.js}@example.com`;
const DOMAIN = `invite-${config.js}.example`;
const GENERAL = `/sites/${DOMAIN}/settings/general`;
let inbox;
let catcher;

let browser;
let owner;
let newcomer;

before(async () => {
  catcher = await startMailCatcher();
  inbox = catcher.inbox;
  browser = await launchBrowser();
  const client = new Client(config.baseUrl, { ip: `10.83.${jsOn ? 1 : 2}.1` });
  await signUp(client, OWNER, PASSWORD);
  await addSite(client, DOMAIN);
  // Invitations name the inviter: their address is confirmed first, by the link mailed to it.
  assert.equal((await client.post("/account", { intent: "confirm-email" })).status, 302);
  for (let i = 0; i < 100 && inbox.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
  const confirm = new URL(/(http:\/\/\S+\/confirm-email\/\S+)\s/.exec(inbox[0].text)[1]);
  assert.equal((await client.post(confirm.pathname, {})).status, 302);
  inbox.splice(0);
  await signUp(new Client(config.baseUrl, { ip: `10.83.${jsOn ? 1 : 2}.2` }), EXISTING, PASSWORD);
  owner = await (await newContext(browser)).newPage();
  await logIn(owner, OWNER, PASSWORD);
});

after(async () => {
  await browser?.close();
  await catcher?.close();
});

async function logIn(page, email, password) {
  await visit(page, "/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await submit(page, page.getByRole("button", { name: "Log in" }));
  await page.waitForURL((u) => u.pathname !== "/login");
}

/** The invitation mail to `address` (waits for it), and the path of its link. */
async function invitationTo(address) {
  for (let i = 0; i < 100 && !inbox.some((m) => m.to.value[0].address === address); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  const mail = inbox.findLast((m) => m.to.value[0].address === address);
  assert.ok(mail, `an invitation mail reached ${address}`);
  const url = /(http:\/\/\S+\/invitations\/[A-Za-z0-9_-]{43})/.exec(mail.text)[1];
  return { mail, path: new URL(url).pathname };
}

async function invite(email, role) {
  await visit(owner, GENERAL);
  await owner.getByLabel("Email").fill(email);
  await owner.getByLabel("Role").selectOption(role);
  return submit(owner, owner.getByRole("button", { name: "Send invitation" }));
}

describe(`invitations (JavaScript ${config.js})`, () => {
  it("keeps what was typed on a 400, and says so for someone who has access already", async () => {
    await visit(owner, GENERAL);
    await owner.getByRole("heading", { name: "Invite someone" }).waitFor();
    await owner.getByLabel("Email").fill("not an address");
    const refused = await submit(owner, owner.getByRole("button", { name: "Send invitation" }));
    assert.equal(refused.status(), 400);
    await ready(owner);
    assert.match((await fieldError(owner, "field-email")) ?? "", /valid email address/);
    assert.equal(await owner.getByLabel("Email").inputValue(), "not an address");
    await screenshot(owner, "invite-error");

    await owner.getByLabel("Email").fill(OWNER.toUpperCase());
    const member = await submit(owner, owner.getByRole("button", { name: "Send invitation" }));
    assert.equal(member.status(), 400);
    await ready(owner);
    assert.match((await fieldError(owner, "field-email")) ?? "", /already has access to this site \(owner\)/);
  });

  it("mails a link; without an account the invitee chooses a password there and lands on the site", async () => {
    await invite(NEWCOMER, "admin");
    await owner.getByRole("status").getByText(`Invitation sent to ${NEWCOMER}`).waitFor();
    assert.equal(await owner.getByLabel("Email").inputValue(), "", "the form is empty again");
    const pending = owner.getByRole("table", { name: "Pending invitations" });
    await pending.getByRole("cell", { name: NEWCOMER, exact: true }).waitFor();
    await screenshot(owner, "settings-general-invitations");
    assert.deepEqual(await axeCheck(owner, "settings-general-invitations"), []);

    const { mail, path } = await invitationTo(NEWCOMER);
    assert.match(mail.text, new RegExp(`${OWNER} invited you to the site ${DOMAIN.replace(/\./g, "\\.")}`));
    newcomer = await (await newContext(browser)).newPage();
    const opened = await visit(newcomer, path);
    assert.equal(opened.headers()["referrer-policy"], "no-referrer");
    await newcomer.getByRole("heading", { name: `Join ${DOMAIN} on Glimpse` }).waitFor();
    await newcomer.getByLabel("Password").fill("short");
    const short = await submit(newcomer, newcomer.getByRole("button", { name: "Create account and join" }));
    assert.equal(short.status(), 400);
    await ready(newcomer);
    assert.match((await fieldError(newcomer, "field-password")) ?? "", /at least 12 characters/);
    await screenshot(newcomer, "invitation-choose-password");
    assert.deepEqual(await axeCheck(newcomer, "invitation-choose-password"), []);
    await newcomer.getByLabel("Password").fill("newcomer password 2468");
    await submit(newcomer, newcomer.getByRole("button", { name: "Create account and join" }));
    await newcomer.waitForURL(`**/sites/${DOMAIN}`);
    await newcomer.getByText(`You joined ${DOMAIN} as an admin`).waitFor();

    await visit(newcomer, path);
    await newcomer.getByRole("heading", { name: "This invitation no longer works" }).waitFor();
    await visit(owner, GENERAL);
    assert.equal(await owner.getByRole("table", { name: "Pending invitations" }).count(), 0);
    await owner.getByRole("table", { name: "People with access" }).getByRole("cell", { name: NEWCOMER, exact: true }).waitFor();
  });

  it("with an account, only the invited address accepts, after logging in; someone else logged in gets nothing", async () => {
    await invite(EXISTING, "viewer");
    await owner.getByRole("status").getByText(`Invitation sent to ${EXISTING}`).waitFor();
    const { path } = await invitationTo(EXISTING);

    // The newcomer is logged in as someone else: told so, with no way to accept.
    await visit(newcomer, path);
    await newcomer.getByText(`You are logged in as ${NEWCOMER}`).waitFor();
    assert.equal(await newcomer.getByRole("button", { name: "Accept invitation" }).count(), 0);
    await screenshot(newcomer, "invitation-wrong-account");
    assert.deepEqual(await axeCheck(newcomer, "invitation-wrong-account"), []);
    // Logging out there comes back to the invitation, which now offers to log in.
    await submit(newcomer, newcomer.locator(".auth-card").getByRole("button", { name: "Log out" }));
    await newcomer.waitForURL(`**${path}`);
    await newcomer.getByText(`An account for ${EXISTING} exists: log in to accept.`).waitFor();
    await logIn(newcomer, NEWCOMER, "newcomer password 2468");

    const invitee = await (await newContext(browser)).newPage();
    await visit(invitee, path);
    await invitee.getByText(`An account for ${EXISTING} exists: log in to accept.`).waitFor();
    await invitee.getByRole("link", { name: "Log in to accept" }).click();
    await invitee.waitForURL("**/login?redirectTo=*");
    await ready(invitee);
    await invitee.getByLabel("Email").fill(EXISTING);
    await invitee.getByLabel("Password").fill(PASSWORD);
    await submit(invitee, invitee.getByRole("button", { name: "Log in" }));
    await invitee.waitForURL(`**${path}`);
    await ready(invitee);
    await screenshot(invitee, "invitation-accept");
    assert.deepEqual(await axeCheck(invitee, "invitation-accept"), []);
    await submit(invitee, invitee.getByRole("button", { name: "Accept invitation" }));
    await invitee.waitForURL(`**/sites/${DOMAIN}`);
    await invitee.getByText(`You joined ${DOMAIN} as a viewer`).waitFor();
    await invitee.context().close();
  });

  it("resends at most every ten minutes, and a revoked invitation's link no longer works", async () => {
    const third = `third-${config.js}@example.com`;
    await invite(third, "viewer");
    await owner.getByRole("status").getByText(`Invitation sent to ${third}`).waitFor();
    const { path } = await invitationTo(third);
    const resend = await submit(owner, owner.getByRole("button", { name: `Resend the invitation to ${third}` }));
    assert.equal(resend.status(), 429);
    await ready(owner);
    await owner.getByRole("alert").getByText(`An invitation went to ${third} less than 10 minutes ago`).waitFor();
    // A second tab of the same admin, open on the list before the revoke.
    const otherTab = await owner.context().newPage();
    await visit(otherTab, GENERAL);
    await submit(owner, owner.getByRole("button", { name: `Revoke the invitation to ${third}` }));
    await owner.getByRole("status").getByText(`Invitation to ${third} revoked`).waitFor();
    // Revoked already: the other tab's Revoke says so, whether or not other invitations are pending.
    const again = await submit(otherTab, otherTab.getByRole("button", { name: `Revoke the invitation to ${third}` }));
    assert.equal(again.status(), 404);
    await ready(otherTab);
    await otherTab.getByRole("alert").getByText("Invitation not found; it may have been accepted or revoked").waitFor();
    await otherTab.close();
    const stranger = await (await newContext(browser)).newPage();
    assert.equal((await visit(stranger, path)).status(), 410);
    await stranger.getByRole("heading", { name: "This invitation no longer works" }).waitFor();
    await screenshot(stranger, "invitation-dead");
    await stranger.context().close();
  });

  it("changes roles from the list; the owner's stays", async () => {
    await visit(owner, GENERAL);
    await submit(owner, owner.getByRole("button", { name: `Make viewer (${NEWCOMER})` }));
    await owner.getByRole("status").getByText(`${NEWCOMER} is now a viewer`).waitFor();
    await owner.getByRole("button", { name: `Make admin (${NEWCOMER})` }).waitFor();
    assert.equal(await owner.getByRole("button", { name: `Make viewer (${OWNER})` }).count(), 0);
    await screenshot(owner, "settings-general-people");
    assert.deepEqual(await axeCheck(owner, "settings-general-people"), []);
    // The newcomer, a viewer now, no longer sees the invite form.
    await visit(newcomer, GENERAL);
    await newcomer.getByRole("heading", { name: "People" }).waitFor();
    assert.equal(await newcomer.getByRole("heading", { name: "Invite someone" }).count(), 0);
  });

  it("fits at phone width", () => {
    assert.deepEqual(overflows, []);
  });
});
