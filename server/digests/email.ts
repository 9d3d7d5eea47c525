import { FREQUENCY_LABELS, type DigestFrequency } from "../schemas/digests.js";
import { BREAKDOWN_TITLES, displayValue, formatCount, formatPercent, formatRange, TOTAL_METRICS, totalChange } from "../schemas/display.js";
import type { MailMessage } from "../mail/message.js";
import type { DashboardStats } from "../stats/types.js";

export type { MailMessage };

export interface DigestContent {
  frequency: DigestFrequency;
  linkName: string;
  domain: string;
  segmentName: string | null;
  /** The dashboard, never its password. */
  dashboardUrl: string;
  passwordProtected: boolean;
  /** Null for a preview an admin sent to their own address: they are no recipient to unsubscribe. */
  unsubscribeUrl: string | null;
  recipient: { email: string; name: string };
  stats: DashboardStats;
  /** Why the figures cover less than the whole period, if they do. */
  notice: string | null;
  preview?: boolean;
}

/** Rows per section: a digest is a glance, the dashboard has the rest. */
export const DIGEST_ROWS = 5;

const PREVIOUS = { weekly: "the week before", monthly: "the month before" } as const;

export function digestSubject(content: DigestContent): string {
  const { from, to } = content.stats.range;
  const subject = `${FREQUENCY_LABELS[content.frequency]} digest: ${content.linkName} (${content.domain}), ${formatRange(from, to)}`;
  return content.preview ? `[Preview] ${subject}` : subject;
}

/** Plain text and HTML of one digest: the same facts, in the same order. */
export function composeDigest(content: DigestContent): Pick<MailMessage, "subject" | "text" | "html"> {
  const model = digestModel(content);
  return { subject: digestSubject(content), text: asText(model), html: asHtml(model) };
}

interface Model {
  heading: string;
  period: string;
  lines: string[];
  totals: { label: string; value: string; change: string | null }[];
  tables: { title: string; rows: { label: string; value: string }[] }[];
  dashboardUrl: string;
  passwordNote: string | null;
  footer: string;
  unsubscribeUrl: string | null;
}

function digestModel(c: DigestContent): Model {
  const { stats } = c;
  const lines: string[] = [];
  if (c.preview) lines.push("This is a preview sent from the link’s settings; the scheduled digest is sent on its own.");
  if (c.segmentName) lines.push(`Visits in the segment “${c.segmentName}” only.`);
  if (c.notice) lines.push(c.notice);
  const totals = TOTAL_METRICS.map((metric) => {
    const value = stats.totals[metric.key];
    const before = stats.previous;
    const change = before ? totalChange(metric, { visits: stats.totals.visits, value }, { visits: before.visits, value: before[metric.key] }) : null;
    return { label: metric.label, value: metric.format(value), change: change && (change.words === "new" ? "new" : `${change.words} from ${PREVIOUS[c.frequency]}`) };
  });
  if (stats.totals.visits === 0) lines.push("No visits in this period.");
  // Sections without a row say nothing a glance needs: they are left out.
  const tables = stats.breakdowns.filter((b) => b.rows.length > 0).map((b) => ({
    title: BREAKDOWN_TITLES[b.dimension],
    rows: b.rows.slice(0, DIGEST_ROWS).map((row) => ({
      label: displayValue(b.dimension, row.value),
      value: `${formatCount(row.visitors)} visitor${row.visitors === 1 ? "" : "s"} (${formatPercent(row.percentage)})`,
    })),
  }));
  if (stats.goals.some((g) => g.visitors > 0)) {
    tables.push({
      title: "Goals",
      rows: stats.goals.filter((g) => g.visitors > 0).slice(0, DIGEST_ROWS).map((g) => ({
        label: g.name,
        value: `${formatCount(g.visitors)} converted (${formatPercent(g.conversionRate)})`,
      })),
    });
  }
  const who = c.recipient.name ? `${c.recipient.name} <${c.recipient.email}>` : c.recipient.email;
  return {
    heading: `${c.linkName} · ${c.domain}`,
    period: `${FREQUENCY_LABELS[c.frequency]} digest for ${formatRange(stats.range.from, stats.range.to)}`,
    lines,
    totals,
    tables,
    dashboardUrl: c.dashboardUrl,
    passwordNote: c.passwordProtected ? "The dashboard asks for the password you were given; it is never sent by email." : null,
    footer: c.unsubscribeUrl
      ? `You get this email because ${who} was added to the ${c.frequency} digest of this shared dashboard.`
      : `You get this preview because you asked for it, as ${who}, on the digest settings of this shared dashboard.`,
    unsubscribeUrl: c.unsubscribeUrl,
  };
}

function asText(m: Model): string {
  const width = Math.max(...m.totals.map((t) => t.label.length));
  const out = [m.heading, m.period, ...m.lines, ""];
  for (const t of m.totals) out.push(`${t.label.padEnd(width)}  ${t.value}${t.change ? `  (${t.change})` : ""}`);
  for (const table of m.tables) {
    out.push("", table.title);
    for (const row of table.rows) out.push(`  ${row.label} · ${row.value}`);
  }
  out.push("", `Open the dashboard: ${m.dashboardUrl}`);
  if (m.passwordNote) out.push(m.passwordNote);
  out.push("", "--", m.footer, ...(m.unsubscribeUrl ? [`Unsubscribe with one click: ${m.unsubscribeUrl}`] : []), "");
  return out.join("\n");
}

const escape = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** Inline styles and tables only: what every mail client renders. Every value is escaped. */
function asHtml(m: Model): string {
  const cell = "padding:4px 0;border-bottom:1px solid #eceef1;";
  const totals = m.totals
    .map(
      (t) =>
        `<tr><td style="${cell}color:#4b5563;">${escape(t.label)}</td><td style="${cell}text-align:right;font-weight:600;">${escape(t.value)}</td>` +
        `<td style="${cell}text-align:right;color:#6b7280;font-size:13px;padding-left:12px;">${t.change ? escape(t.change) : ""}</td></tr>`,
    )
    .join("");
  const tables = m.tables
    .map((table) => {
      const rows = table.rows
        .map((r) => `<tr><td style="${cell}word-break:break-word;">${escape(r.label)}</td><td style="${cell}text-align:right;white-space:nowrap;padding-left:12px;color:#374151;">${escape(r.value)}</td></tr>`)
        .join("");
      return `<h2 style="font-size:15px;margin:24px 0 4px;">${escape(table.title)}</h2><table role="presentation" width="100%" cellspacing="0" cellpadding="0" style="border-collapse:collapse;font-size:14px;">${rows}</table>`;
    })
    .join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escape(m.period)}</title></head>
<body style="margin:0;padding:0;background:#f4f5f7;">
<div style="max-width:560px;margin:0 auto;padding:24px 16px;font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#111827;">
<div style="background:#ffffff;border-radius:8px;padding:24px;">
<p style="margin:0;color:#6b7280;font-size:13px;">${escape(m.heading)}</p>
<h1 style="font-size:20px;margin:4px 0 12px;">${escape(m.period)}</h1>
${m.lines.map((line) => `<p style="margin:0 0 8px;color:#4b5563;font-size:14px;">${escape(line)}</p>`).join("")}
<table role="presentation" width="100%" cellspacing="0" cellpadding="0" style="border-collapse:collapse;font-size:14px;">${totals}</table>
${tables}
<p style="margin:28px 0 8px;"><a href="${escape(m.dashboardUrl)}" style="display:inline-block;background:#4f46e5;color:#ffffff;text-decoration:none;padding:10px 16px;border-radius:6px;font-weight:600;">Open the dashboard</a></p>
${m.passwordNote ? `<p style="margin:0;color:#4b5563;font-size:13px;">${escape(m.passwordNote)}</p>` : ""}
</div>
<p style="color:#6b7280;font-size:12px;line-height:1.5;margin:16px 8px;">${escape(m.footer)}${m.unsubscribeUrl ? `<br><a href="${escape(m.unsubscribeUrl)}" style="color:#4b5563;">Unsubscribe</a> (one click, no login).` : ""}</p>
</div>
</body></html>
`;
}
