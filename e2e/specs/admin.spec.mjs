// Admin flows on the settings pages (issue 4), run with JavaScript off and on:
// sign up → add site → segment → protected link → list → edit → duplicate and reserved names →
// delete via confirmation → gone; login errors; axe-core on every settings page.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Client } from "../lib/http.mjs";
import { axeCheck, config, jsOn, launchBrowser, newContext, overflows, ready, screenshot, submit, visit } from "../lib/browser.mjs";

const EMAIL = `admin-js-${config.js}@example.com`;
const PASSWORD = "correct horse battery staple";
const DOMAIN = `admin-js-${config.js}.example`;
const LINK_PASSWORD = "first link password 1";
const NEW_LINK_PASSWORD = "second link password 2";
const SEGMENT = "Mobile visitors";
const RESERVED = "WordPress - Shared Dashboard";
const settings = (section) => `/sites/${DOMAIN}/settings/${section}`;
const today = new Intl.DateTimeFormat("en-US", { dateStyle: "medium", timeZone: "UTC" }).format(new Date());

let browser;
let page;
/** Filled in as the flow goes: ids, slugs and statuses later steps check. */
const state = {};

const linkRow = (name) => page.locator("table.links-table tbody tr").filter({ has: page.locator("td.link-name .link-title", { hasText: new RegExp(`^${escapeRegExp(name)}$`) }) });
const cell = (row, label) => row.locator(`td[data-label="${label}"]`).innerText();
const nameField = () => page.locator("#field-name");

function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** With JavaScript on, a marker on window survives only if Remix handled the submit without a reload. */
async function markWindow() {
  if (jsOn) await page.evaluate(() => (window.__e2eNoReload = true));
}
async function assertNoReload() {
  if (jsOn) assert.equal(await page.evaluate(() => window.__e2eNoReload), true, "the page reloaded; with JavaScript on Remix should submit in place");
}

before(async () => {
  browser = await launchBrowser();
  page = await (await newContext(browser)).newPage();
});
after(() => browser?.close());

describe(`admin settings, JavaScript ${config.js}`, () => {
  it("signs up and lands on “Add a site”", async () => {
    await visit(page, "/signup");
    await screenshot(page, "signup");
    await page.getByLabel("Email").fill(EMAIL);
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await submit(page, page.getByRole("button", { name: "Sign up" }));
    await page.waitForURL("**/sites/new");
    await page.getByText("Welcome to Glimpse!").waitFor();
  });

  it("adds a site", async () => {
    await ready(page);
    await screenshot(page, "sites-new");
    await page.getByLabel("Domain").fill(DOMAIN);
    await submit(page, page.getByRole("button", { name: "Add site" }));
    await page.waitForURL(`**/sites/${DOMAIN}/settings/general`);
    await page.getByText(`${DOMAIN} added`).waitFor();
    await screenshot(page, "site-dashboard");
  });

  it("creates the segment “Mobile visitors” (Device is Mobile), adding and removing a filter row without losing the name", async () => {
    await visit(page, settings("segments"));
    await page.getByLabel("Name").fill(SEGMENT);
    await submit(page, page.getByRole("button", { name: "+ Add filter" }));
    await page.locator("#filter-1-dimension").waitFor();
    assert.equal(await page.getByLabel("Name").inputValue(), SEGMENT);
    await ready(page);
    await submit(page, page.getByRole("button", { name: "Remove filter 2" }));
    await page.locator("#filter-1-dimension").waitFor({ state: "detached" });
    assert.equal(await page.getByLabel("Name").inputValue(), SEGMENT);
    await ready(page);
    await page.locator("#filter-0-dimension").selectOption("device");
    await page.locator("#filter-0-operator").selectOption("is");
    await page.locator("#filter-0-value").fill("Mobile");
    await screenshot(page, "segments-form");
    await submit(page, page.getByRole("button", { name: "Create segment" }));
    await page.getByText(`Segment “${SEGMENT}” created`).waitFor();
    const row = page.locator("table tbody tr", { hasText: SEGMENT });
    assert.match(await row.innerText(), /Device is Mobile/);
    state.segmentEdit = await page.getByRole("link", { name: `Edit ${SEGMENT}` }).getAttribute("href");
    await screenshot(page, "segments");
  });

  it("creates a password-protected link limited to the segment, in place", async () => {
    await visit(page, settings("visibility"));
    await markWindow();
    await page.getByLabel("Name", { exact: true }).fill("Client A");
    await page.getByLabel("Password", { exact: true }).fill(LINK_PASSWORD);
    await page.getByLabel("Segment").selectOption({ label: SEGMENT });
    await submit(page, page.getByRole("button", { name: "Create shared link" }));
    await page.getByText("Shared link “Client A” created").waitFor();
    await assertNoReload();
    if (jsOn) assert.equal(await nameField().inputValue(), "", "the create form is cleared for the next link");
  });

  it("lists the link with name, creation date, Protected, segment, views and the full share URL", async () => {
    const row = linkRow("Client A");
    await row.waitFor();
    assert.equal(await cell(row, "Created"), today);
    assert.match(await cell(row, "Access"), /^Active\s*,?\s*Protected\b/);
    assert.equal(await cell(row, "Segment"), SEGMENT);
    assert.match(await cell(row, "Views"), /^0 views\b/);
    const url = (await row.locator('td[data-label="Share URL"] code').innerText()).trim();
    assert.match(url, new RegExp(`^${escapeRegExp(config.baseUrl)}/share/[A-Za-z0-9_-]{21}$`));
    state.slugA = url.split("/share/")[1];
    // The URL is plain selectable text; the copy button exists only with JavaScript.
    assert.equal(await row.getByRole("button", { name: "Copy" }).count(), jsOn ? 1 : 0);
    assert.equal(await row.getByRole("link", { name: "Edit Client A" }).count(), 1);
    assert.equal(await row.getByRole(jsOn ? "button" : "link", { name: "Delete Client A" }).count(), 1);
  });

  it("creates an open link on all data (“Client B”)", async () => {
    await page.getByLabel("Name", { exact: true }).fill("Client B");
    await submit(page, page.getByRole("button", { name: "Create shared link" }));
    await page.getByText("Shared link “Client B” created").waitFor();
    const row = linkRow("Client B");
    assert.match(await cell(row, "Access"), /^Active\s*,?\s*Open\b/);
    assert.equal(await cell(row, "Segment"), "All data");
    state.editB = await row.getByRole("link", { name: "Edit Client B" }).getAttribute("href");
    state.deleteB = state.editB.replace(/\/edit$/, "/delete");
    await screenshot(page, "visibility-list");
  });

  it("edits the name and replaces the password", async () => {
    await page.getByRole("link", { name: "Edit Client A" }).click();
    await page.waitForURL("**/shared-links/*/edit");
    await ready(page);
    state.editA = new URL(page.url()).pathname;
    await screenshot(page, "link-edit");
    await markWindow();
    await nameField().fill("Client A renamed");
    await page.getByLabel("Replace it with a new password (below)").check();
    await page.getByLabel("New password", { exact: true }).fill(NEW_LINK_PASSWORD);
    await submit(page, page.getByRole("button", { name: "Save changes" }));
    await page.getByText("Shared link “Client A renamed” updated").waitFor();
    await assertNoReload();
    await linkRow("Client A renamed").waitFor();
    assert.equal(await linkRow("Client A").count(), 0);
    assert.match(await cell(linkRow("Client A renamed"), "Access"), /^Active\s*,?\s*Protected\b/);
  });

  it("after the edit only the new password unlocks the link", async () => {
    const visitor = new Client(config.baseUrl, { ip: "10.20.0.1" });
    assert.equal((await visitor.post(`/share/${state.slugA}`, { password: LINK_PASSWORD })).status, 401);
    const ok = await visitor.post(`/share/${state.slugA}`, { password: NEW_LINK_PASSWORD });
    assert.equal(ok.status, 303);
  });

  it("a duplicate name on the create form shows the error next to Name and keeps the values", async () => {
    await visit(page, settings("visibility"));
    await nameField().fill("Client B");
    await page.getByLabel("Password", { exact: true }).fill("some other password");
    await page.getByLabel("Segment").selectOption({ label: SEGMENT });
    const res = await submit(page, page.getByRole("button", { name: "Create shared link" }));
    state.duplicateCreateStatus = res.status();
    const field = page.locator(".field", { has: page.locator("#field-name") });
    await field.locator(".field-error").waitFor();
    assert.equal((await field.locator(".field-error").innerText()).trim(), "A shared link named “Client B” already exists for this site");
    assert.equal(await nameField().getAttribute("aria-invalid"), "true");
    assert.match((await nameField().getAttribute("aria-describedby")) ?? "", /field-name-error/);
    assert.equal(await nameField().inputValue(), "Client B");
    assert.equal(await page.locator("#field-segmentId option:checked").innerText(), SEGMENT);
    // The server never echoes a password; with JavaScript on the browser simply keeps what was typed.
    if (!jsOn) assert.equal(await page.getByLabel("Password", { exact: true }).inputValue(), "", "passwords are never sent back");
    assert.equal(await linkRow("Client B").count(), 1, "no second link was created");
    await screenshot(page, "visibility-duplicate-error");
  });

  it("a duplicate name answers HTTP 400", () => {
    // Regression (fixed): app/lib/forms.server.ts formFailure passes the tRPC status through, so CONFLICT becomes
    // 409; SPEC §5 and issue 4 want 400 for every validation error shown next to a field.
    assert.equal(state.duplicateCreateStatus, 400);
  });

  it("a duplicate name on the edit form (other case) shows the error next to Name and keeps the values", async () => {
    await visit(page, state.editA);
    await nameField().fill("client b");
    const res = await submit(page, page.getByRole("button", { name: "Save changes" }));
    state.duplicateEditStatus = res.status();
    const error = page.locator("#field-name-error");
    await error.waitFor();
    assert.match((await error.innerText()).trim(), /^A shared link named “client b” already exists for this site$/i);
    assert.equal(await nameField().inputValue(), "client b");
    assert.equal(await page.getByLabel("Keep the current password").isChecked(), true);
    await screenshot(page, "link-edit-duplicate-error");
  });

  it("a duplicate name on the edit form answers HTTP 400", () => {
    // Regression (fixed): same as above (409 from formFailure).
    assert.equal(state.duplicateEditStatus, 400);
  });

  it("the reserved name “WordPress - Shared Dashboard” is refused with HTTP 400", async () => {
    await visit(page, settings("visibility"));
    await nameField().fill(RESERVED);
    const res = await submit(page, page.getByRole("button", { name: "Create shared link" }));
    const error = page.locator("#field-name-error");
    await error.waitFor();
    assert.equal((await error.innerText()).trim(), `“${RESERVED}” is a reserved name. Please choose another one`);
    assert.equal(await nameField().inputValue(), RESERVED);
    assert.equal(res.status(), 400);
    assert.equal(await linkRow(RESERVED).count(), 0);
  });

  it("the reserved name is refused in any case on the edit form", async () => {
    await visit(page, state.editA);
    await nameField().fill(RESERVED.toUpperCase());
    const res = await submit(page, page.getByRole("button", { name: "Save changes" }));
    const error = page.locator("#field-name-error");
    await error.waitFor();
    assert.equal((await error.innerText()).trim(), `“${RESERVED.toUpperCase()}” is a reserved name. Please choose another one`);
    assert.equal(res.status(), 400);
  });

  it(jsOn ? "deletes the link through the confirmation dialog" : "deletes the link through the confirmation page", async () => {
    await visit(page, settings("visibility"));
    await markWindow();
    if (jsOn) {
      await page.getByRole("button", { name: "Delete Client A renamed" }).click();
      const dialog = page.locator("dialog[open]");
      await dialog.waitFor();
      assert.match(await dialog.innerText(), /The stats will not be accessible with this link anymore/);
      await screenshot(page, "link-delete-dialog");
      await submit(page, dialog.getByRole("button", { name: "Delete link" }));
    } else {
      await page.getByRole("link", { name: "Delete Client A renamed" }).click();
      await page.waitForURL("**/shared-links/*/delete");
      await page.getByText("The stats will not be accessible with this link anymore").waitFor();
      await screenshot(page, "link-delete-confirm");
      await submit(page, page.getByRole("button", { name: "Delete link" }));
    }
    await page.getByText("Shared link “Client A renamed” deleted").waitFor();
    await assertNoReload();
    assert.equal(new URL(page.url()).pathname, settings("visibility"));
    assert.equal(await linkRow("Client A renamed").count(), 0);
    assert.equal(await linkRow("Client B").count(), 1);
  });

  it("the deleted link's URL answers 404", async () => {
    const res = await new Client(config.baseUrl).get(`/share/${state.slugA}`);
    assert.equal(res.status, 404);
  });

  it("logs out with the header button", async () => {
    await visit(page, "/");
    await submit(page, page.getByRole("button", { name: "Log out" }));
    await page.waitForURL("**/login");
    await visit(page, settings("visibility"));
    assert.match(new URL(page.url()).pathname + new URL(page.url()).search, /^\/login\?redirectTo=/);
  });

  it("login with a wrong password or an unknown email says “Invalid email or password”", async () => {
    await visit(page, "/login");
    await screenshot(page, "login");
    for (const [email, password] of [[EMAIL, "not the right password"], ["nobody@example.com", PASSWORD]]) {
      await page.getByLabel("Email").fill(email);
      await page.getByLabel("Password").fill(password);
      const res = await submit(page, page.getByRole("button", { name: "Log in" }));
      await page.getByRole("alert").filter({ hasText: "Invalid email or password" }).waitFor();
      assert.ok(res.status() >= 400 && res.status() < 500, `status ${res.status()}`);
      assert.equal(await page.getByLabel("Email").inputValue(), email);
      await ready(page);
    }
    await screenshot(page, "login-error");
  });

  it("logs back in and returns to where it was sent from", async () => {
    await visit(page, `/login?redirectTo=${encodeURIComponent(settings("visibility"))}`);
    await page.getByLabel("Email").fill(EMAIL);
    await page.getByLabel("Password").fill(PASSWORD);
    await submit(page, page.getByRole("button", { name: "Log in" }));
    await page.waitForURL(`**${settings("visibility")}`);
    await linkRow("Client B").waitFor();
  });

  it("a viewer invited on the General page sees the list without edit, delete or create controls", async () => {
    const viewerEmail = `viewer-js-${config.js}@example.com`;
    const context = await newContext(browser);
    const viewer = await context.newPage();
    try {
      await visit(viewer, "/signup");
      await viewer.getByLabel("Email").fill(viewerEmail);
      await viewer.getByLabel("Password").fill(PASSWORD);
      await submit(viewer, viewer.getByRole("button", { name: "Sign up" }));
      await viewer.waitForURL("**/sites/new");

      // This server sends no mail: the admin gets the invitation link to pass on, once.
      await visit(page, settings("general"));
      await page.getByLabel("Email").fill(viewerEmail);
      await page.getByLabel("Role").selectOption("viewer");
      await submit(page, page.getByRole("button", { name: "Create invitation link" }));
      await page.getByText(`Invitation link for ${viewerEmail} created`).waitFor();
      const link = await page.locator(".invitation-url code").textContent();
      await screenshot(page, "settings-general-people");
      await visit(page, settings("general"));
      assert.equal(await page.locator(".invitation-url").count(), 0, "the link is shown once");

      await visit(viewer, new URL(link).pathname);
      await submit(viewer, viewer.getByRole("button", { name: "Accept invitation" }));
      await viewer.waitForURL((u) => u.pathname.startsWith("/sites/"));

      await visit(viewer, settings("visibility"));
      await viewer.locator("table.links-table td.link-name", { hasText: "Client B" }).waitFor();
      assert.equal(await viewer.getByRole("link", { name: /^Edit / }).count(), 0);
      assert.equal(await viewer.getByRole("link", { name: /^Delete / }).count() + (await viewer.getByRole("button", { name: /^Delete / }).count()), 0);
      assert.equal(await viewer.getByRole("button", { name: "Create shared link" }).count(), 0);
      const denied = await viewer.goto(state.editB);
      assert.equal(denied.status(), 403);
    } finally {
      await context.close();
    }
  });

  describe("axe-core: no serious or critical violations", () => {
    const pages = [
      ["settings-general", () => settings("general")],
      ["settings-visibility", () => settings("visibility")],
      ["link-edit", () => state.editB],
      ["link-delete", () => state.deleteB],
      ["settings-segments", () => settings("segments")],
      ["segment-edit", () => state.segmentEdit],
      ["segment-delete", () => state.segmentEdit?.replace(/\/edit$/, "/delete")],
      ["sites", () => "/"],
      ["sites-new", () => "/sites/new"],
      ["api-keys", () => "/account/api-keys"],
    ];
    for (const [name, path] of pages) {
      it(name, async () => {
        assert.ok(path(), "the flow above did not get this far");
        await visit(page, path());
        const shotInFlow = ["settings-visibility", "link-edit", ...(jsOn ? [] : ["link-delete"])];
        if (!shotInFlow.includes(name)) await screenshot(page, name);
        const violations = await axeCheck(page, name);
        assert.deepEqual(violations.map((v) => `${v.impact}: ${v.id} (${v.nodes.join("; ")})`), []);
      });
    }

    it("sign-up and login (signed out)", async () => {
      const context = await newContext(browser);
      try {
        const anonymous = await context.newPage();
        for (const path of ["/signup", "/login"]) {
          await visit(anonymous, path);
          const violations = await axeCheck(anonymous, path);
          assert.deepEqual(violations.map((v) => `${path} ${v.impact}: ${v.id} (${v.nodes.join("; ")})`), []);
        }
      } finally {
        await context.close();
      }
    });
  });

  it("no page scrolls sideways at 360 px", () => {
    // Regression (fixed): the link delete confirmation page (…/shared-links/:id/delete) is 399 px wide at 360 px:
    // the share URL in its <code> wraps only at a "-" of the random slug, so whether this fails
    // depends on the slug. Fix: overflow-wrap: anywhere on that code element (as the links table
    // already does).
    assert.deepEqual(overflows, []);
  });
});
