// npm run links -- <command>: manage and audit shared links through the API with an API key.
import { parseArgs } from "node:util";
import { createGlimpseClient, type GlimpseClient, TRPCClientError } from "../server/client.js";
import { auditLinks } from "./links/audit.js";
import { recipientRow } from "./links/digest.js";
import { SECTIONS } from "../server/schemas/link-scope.js";
import { SCOPE_HELP, ScopeOptionError, scopeInput } from "./links/scope-options.js";
import { table } from "./links/table.js";

const HELP: Record<string, string> = {
  main: `Usage: npm run links -- <command> [options]

Commands:
  list    --site DOMAIN                                   List a site's shared links
  create  --site DOMAIN --name NAME [--password-stdin] [--segment NAME] [scope options]
  update  --site DOMAIN --name NAME [--rename NEW] [scope options]
  embed   --site DOMAIN --name NAME [--period 7d] [--hours 1]   An embed URL with a signed token (24 hours at most)
  usage   --site DOMAIN --name NAME                       Views, unique viewers and failed unlocks per day (30 days)
  digest  --site DOMAIN --name NAME [--schedule weekly|monthly|off] [--add EMAIL] [--resend EMAIL] [--remove EMAIL] [--preview EMAIL|me]
  pause   --site DOMAIN --name NAME                       Pause a link (its URL answers "paused")
  resume  --site DOMAIN --name NAME                       Resume it (recipients unlock again)
  delete  --site DOMAIN --name NAME                       Delete a link (its URL stops working)
  audit   [--site DOMAIN] [--unused-days 90] [--json]     Links without password, unused, or with a changed segment

${SCOPE_HELP}

Every command takes --json and --help. Set GLIMPSE_URL and GLIMPSE_API_KEY (create a key under Account → API keys).`,
  list: "Usage: npm run links -- list --site DOMAIN [--json]\n\nLists the site's shared links with access, segment and usage.",
  create: `Usage: npm run links -- create --site DOMAIN --name NAME [--password-stdin] [--segment NAME] [scope options] [--json]\n\n--password-stdin reads the password from standard input (at least 12 characters), so it stays out of your shell history.\n\n${SCOPE_HELP}`,
  update: `Usage: npm run links -- update --site DOMAIN --name NAME [--rename NEW] [scope options] [--json]\n\nChanges only what you name.\n\n${SCOPE_HELP}`,
  embed:
    "Usage: npm run links -- embed --site DOMAIN --name NAME [--period today|7d|30d|month|12mo] [--hours 1..24] [--json]\n\nPrints an embed URL whose signed token opens the link in a frame without its password, until it runs out, the link is paused, expires or is deleted, or its password changes.",
  usage: "Usage: npm run links -- usage --site DOMAIN --name NAME [--json]\n\nViews (pages, not API calls), unique viewers and failed unlocks per day over 30 days, and whether failed unlocks spike now.",
  digest:
    "Usage: npm run links -- digest --site DOMAIN --name NAME [--schedule weekly|monthly|off] [--add EMAIL [--recipient-name NAME]] [--resend EMAIL] [--remove EMAIL] [--preview EMAIL|me] [--json]\n\nShows the link's email digest (schedule, next send, recipients and their state) after making the changes asked for. --add sends the new recipient one email asking them to confirm; nothing else reaches them until they do. --resend sends a waiting recipient a new confirmation link (at most once an hour). --preview sends a confirmed recipient, or you (me: your account's address), the latest period's digest now. Someone who unsubscribed can only subscribe again from their email.",
  pause: "Usage: npm run links -- pause --site DOMAIN --name NAME [--json]\n\nThe link shows “This shared link is paused” (HTTP 410) until it is resumed.",
  resume: "Usage: npm run links -- resume --site DOMAIN --name NAME [--json]\n\nThe link works again; protected links ask for the password again.",
  delete: "Usage: npm run links -- delete --site DOMAIN --name NAME [--json]\n\nDeletes the link with that name. Its URL answers 404 from then on.",
  audit:
    "Usage: npm run links -- audit [--site DOMAIN] [--unused-days 90] [--json]\n\nReports links without a password, never viewed or not viewed for N days, and links whose segment changed after they were created. Without --site, audits every site the key can see. Exits 0 even when it finds something.",
};

class UsageError extends Error {}

const { values, positionals } = (() => {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        site: { type: "string" },
        name: { type: "string" },
        segment: { type: "string" },
        rename: { type: "string" },
        expires: { type: "string" },
        fixed: { type: "string" },
        since: { type: "string" },
        "all-dates": { type: "boolean" },
        sections: { type: "string" },
        "period-change": { type: "string" },
        filters: { type: "string" },
        export: { type: "string" },
        period: { type: "string" },
        hours: { type: "string" },
        schedule: { type: "string" },
        add: { type: "string" },
        "recipient-name": { type: "string" },
        remove: { type: "string" },
        preview: { type: "string" },
        resend: { type: "string" },
        "password-stdin": { type: "boolean" },
        "unused-days": { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${HELP.main}\n`);
    process.exit(2);
  }
})();

const command = positionals[0];

function required(name: "site" | "name"): string {
  const value = values[name]?.trim();
  if (!value) throw new UsageError(`--${name} is required`);
  return value;
}

function client(): GlimpseClient {
  const url = process.env.GLIMPSE_URL;
  const apiKey = process.env.GLIMPSE_API_KEY;
  if (!url || !apiKey) throw new UsageError("Set GLIMPSE_URL (e.g. http://localhost:3000) and GLIMPSE_API_KEY (Account → API keys)");
  return createGlimpseClient({ url, apiKey });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // One trailing newline is how `echo` and most pipes end input; it is not part of the password.
  return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
}

const print = (data: unknown, text: string) => process.stdout.write(`${values.json ? JSON.stringify(data, null, 2) : text}\n`);

async function findLink(glimpse: GlimpseClient, site: string, name: string) {
  const links = await glimpse.sharedLinks.list.query({ site });
  const link = links.find((l) => l.name.toLowerCase() === name.toLowerCase());
  if (!link) throw new UsageError(`No shared link named “${name}” on ${site}`);
  return link;
}

async function run(): Promise<void> {
  if (!command || values.help) {
    process.stdout.write(`${HELP[command ?? "main"] ?? HELP.main}\n`);
    return;
  }
  const glimpse = client();
  switch (command) {
    case "list": {
      const site = required("site");
      const links = await glimpse.sharedLinks.list.query({ site });
      const rows = links.map((l) => [
        l.name,
        l.hasPassword ? "Protected" : "Open",
        l.state === "active" && l.expiresAt ? `active until ${l.expiresAt.slice(0, 16).replace("T", " ")} UTC` : l.state,
        l.segment?.name ?? "All data",
        scopeLine(l),
        `${l.viewCount}${l.failedUnlockSpike ? " (unlock spike!)" : ""}`,
        String(l.uniqueViewers30d),
        l.lastViewedAt?.slice(0, 10) ?? "never",
        l.url,
      ]);
      print(links, links.length === 0 ? `No shared links on ${site}.` : table(["NAME", "ACCESS", "STATE", "SEGMENT", "SCOPE", "VIEWS", "VIEWERS 30D", "LAST VIEW", "URL"], rows));
      return;
    }
    case "create": {
      const site = required("site");
      const name = required("name");
      const password = values["password-stdin"] ? await readStdin() : undefined;
      let segmentId: string | undefined;
      if (values.segment) {
        const segments = await glimpse.segments.list.query({ site });
        const segment = segments.find((s) => s.name.toLowerCase() === values.segment!.trim().toLowerCase());
        if (!segment) throw new UsageError(`No segment named “${values.segment}” on ${site}`);
        segmentId = segment.id;
      }
      const link = await glimpse.sharedLinks.create.mutate({ site, name, password, segmentId, ...scopeInput(values) });
      print(link, `Created “${link.name}” (${link.hasPassword ? "protected" : "open"}, ${link.segment?.name ?? "all data"}, ${scopeLine(link)}): ${link.url}`);
      return;
    }
    case "embed": {
      const site = required("site");
      const link = await findLink(glimpse, site, required("name"));
      const hours = values.hours === undefined ? 1 : Number(values.hours);
      if (!Number.isInteger(hours) || hours < 1 || hours > 24) throw new UsageError("--hours must be a whole number from 1 to 24");
      const periods = ["today", "7d", "30d", "month", "12mo"] as const;
      const period = periods.find((p) => p === values.period);
      if (values.period !== undefined && !period) throw new UsageError(`--period must be one of ${periods.join(", ")}`);
      const minted = await glimpse.sharedLinks.createEmbedToken.mutate({ site, id: link.id, ttlMinutes: hours * 60, ...(period && { period: { key: period } }) });
      print(minted, `${minted.url}\n(valid until ${minted.expiresAt})`);
      return;
    }
    case "usage": {
      const site = required("site");
      const link = await findLink(glimpse, site, required("name"));
      const usage = await glimpse.sharedLinks.usage.query({ site, id: link.id });
      const rows = usage.days.filter((d) => d.views || d.viewers || d.failedUnlocks).map((d) => [d.day, String(d.views), String(d.viewers), String(d.failedUnlocks)]);
      const spike = usage.spike ? `\nFailed unlocks are spiking: ${usage.spike.lastHour} in the last hour, ${usage.spike.usualPerHour} an hour usually.` : "";
      const totals = `30 days: ${usage.totals.views} views, ${usage.totals.viewers} unique viewers (by day), ${usage.totals.failedUnlocks} failed unlocks.`;
      print(usage, `${rows.length ? table(["DAY", "VIEWS", "VIEWERS", "FAILED UNLOCKS"], rows) + "\n" : ""}${totals}${spike}`);
      return;
    }
    case "digest": {
      const site = required("site");
      const link = await findLink(glimpse, site, required("name"));
      const ref = { site, id: link.id };
      const schedules = { weekly: "weekly", monthly: "monthly", off: null } as const;
      if (values.schedule !== undefined) {
        if (!(values.schedule in schedules)) throw new UsageError("--schedule must be weekly, monthly or off");
        await glimpse.sharedLinks.setDigestSchedule.mutate({ ...ref, frequency: schedules[values.schedule as keyof typeof schedules] });
      }
      const added =
        values.add === undefined ? null : await glimpse.sharedLinks.addDigestRecipient.mutate({ ...ref, email: values.add, name: values["recipient-name"] ?? "" });
      const recipientId = async (email: string) => {
        const found = (await glimpse.sharedLinks.digest.query(ref)).recipients.find((r) => r.email.toLowerCase() === email.trim().toLowerCase());
        if (!found) throw new UsageError(`${email} is not a recipient of “${link.name}”`);
        return found.id;
      };
      const resent = values.resend === undefined ? null : await glimpse.sharedLinks.resendDigestConfirmation.mutate({ ...ref, recipientId: await recipientId(values.resend) });
      if (values.remove !== undefined) await glimpse.sharedLinks.removeDigestRecipient.mutate({ ...ref, recipientId: await recipientId(values.remove) });
      const sent =
        values.preview === undefined
          ? null
          : values.preview === "me"
            ? await glimpse.sharedLinks.sendDigestPreviewToMe.mutate(ref)
            : await glimpse.sharedLinks.sendDigestPreview.mutate({ ...ref, recipientId: await recipientId(values.preview) });
      const digest = await glimpse.sharedLinks.digest.query(ref);
      const lines = [
        digest.mailEnabled ? null : "Digests are off on this server (no SMTP_URL): nothing is sent.",
        `Schedule: ${digest.frequency ?? "off"}${digest.next ? `; next ${digest.next.sendsAt}, for ${digest.next.from}..${digest.next.to}` : ""}`,
        added
          ? added.confirmationSent
            ? `Confirmation sent to ${added.email}: they get digests once they confirm.`
            : `${added.email} added; send the confirmation (--resend) once mail is set up. Nothing reaches them before they confirm.`
          : null,
        resent ? `Confirmation sent to ${resent.email}; the link in it works until ${resent.expiresAt}.` : null,
        sent ? `Preview of ${sent.from}..${sent.to} sent to ${sent.email}.` : null,
        digest.recipients.length === 0
          ? "No recipients."
          : table(["EMAIL", "NAME", "STATUS"], digest.recipients.map(recipientRow)),
      ];
      print(digest, lines.filter((l) => l !== null).join("\n"));
      return;
    }
    case "update":
    case "pause":
    case "resume": {
      const site = required("site");
      const link = await findLink(glimpse, site, required("name"));
      const change =
        command === "update"
          ? { ...(values.rename !== undefined && { name: values.rename }), ...scopeInput(values) }
          : { paused: command === "pause" };
      const updated = await glimpse.sharedLinks.update.mutate({ site, id: link.id, ...change });
      print(updated, `“${updated.name}” is ${updated.state}, ${scopeLine(updated)}: ${updated.url}`);
      return;
    }
    case "delete": {
      const site = required("site");
      const link = await findLink(glimpse, site, required("name"));
      await glimpse.sharedLinks.delete.mutate({ site, id: link.id });
      print({ deleted: link.id, name: link.name }, `Deleted “${link.name}”. ${link.url} no longer works.`);
      return;
    }
    case "audit": {
      const days = Number(values["unused-days"] ?? 90);
      if (!Number.isInteger(days) || days < 1) throw new UsageError("--unused-days must be a whole number of days, 1 or more");
      const sites = values.site ? [values.site.trim()] : (await glimpse.sites.list.query()).filter((s) => s.role !== "viewer").map((s) => s.domain);
      const findings = [];
      for (const site of sites) findings.push(...auditLinks(site, await glimpse.sharedLinks.list.query({ site }), days));
      const rows = findings.map((f) => [f.site, f.link, f.problems.join("; "), f.url]);
      print(findings, findings.length === 0 ? `No findings across ${sites.length} site(s).` : table(["SITE", "LINK", "FINDINGS", "URL"], rows));
      return;
    }
    default:
      throw new UsageError(`Unknown command “${command}”`);
  }
}

/** "2026-07-01..2026-09-30, 4 of 12 sections, no filters" or "all dates and sections". */
function scopeLine(l: { dateBounds: { kind: string; from: string; to?: string } | null; visibleSections: string[]; allowPeriodChange: boolean; allowFilters: boolean; allowExport: boolean }): string {
  const parts: string[] = [];
  if (l.dateBounds) parts.push(l.dateBounds.kind === "fixed" ? `${l.dateBounds.from}..${l.dateBounds.to}` : `since ${l.dateBounds.from}`);
  if (l.visibleSections.length < SECTIONS.length) parts.push(`${l.visibleSections.length} of ${SECTIONS.length} sections`);
  if (!l.allowPeriodChange) parts.push("period fixed");
  if (!l.allowFilters) parts.push("no filters");
  if (l.allowExport) parts.push("CSV");
  return parts.join(", ") || "all dates and sections";
}

run().catch((error: unknown) => {
  if (error instanceof UsageError || error instanceof ScopeOptionError) process.stderr.write(`Error: ${error.message}\n\nRun with --help for usage.\n`);
  else if (error instanceof TRPCClientError && !error.data) process.stderr.write(`Error: could not reach ${process.env.GLIMPSE_URL}: ${error.message}\n`);
  else if (error instanceof TRPCClientError) process.stderr.write(`Error: ${error.message} (${error.data.code})\n`);
  else process.stderr.write(`Error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
