import type { LoaderFunctionArgs } from "@remix-run/node";
import { getCaller } from "~/lib/caller.server";
import { getOnly } from "~/lib/get-only.server";
import { toCsv, toZip } from "~/lib/csv.server";
import { parseDashboardQuery } from "~/lib/dashboard-query";
import { toFormError } from "~/lib/errors.server";
import { tryAgainIn } from "~/lib/format";

const LOCKED = "This dashboard is password protected. Open the shared link and enter the password, then download again.";

/**
 * GET /share/:slug/export with the page's own query string: the recipient's view as CSV, one zip
 * with a file per section, or one CSV with `part=` (a section, "totals" or "goals"). A plain link,
 * so it works without JavaScript; the link's scope is applied by `share.export` like everywhere.
 */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const caller = await getCaller(request, context);
  const url = new URL(request.url);
  const query = parseDashboardQuery(url.searchParams);
  const part = url.searchParams.get("part") ?? undefined;
  try {
    const result = await caller.share.export({
      slug: params.slug ?? "",
      period: query.period,
      filters: query.filters,
      part: part as Parameters<typeof caller.share.export>[0]["part"],
    });
    const base = `glimpse-${result.range.from}-to-${result.range.to}`;
    const headers = { "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff" };
    if (part) {
      const table = result.tables[0];
      const body = table ? toCsv(table) : "";
      return new Response(body, {
        headers: { ...headers, "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": `attachment; filename="${base}-${table?.name ?? part}.csv"` },
      });
    }
    return new Response(Buffer.from(toZip(result.tables)), {
      headers: { ...headers, "Content-Type": "application/zip", "Content-Disposition": `attachment; filename="${base}.zip"` },
    });
  } catch (error) {
    const { status, message: said, retryAfter } = toFormError(error);
    const message = status === 401 ? LOCKED : retryAfter ? `${said} ${tryAgainIn(retryAfter)}` : said;
    return new Response(`${message}\n`, {
      status,
      headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store", ...(retryAfter ? { "Retry-After": String(retryAfter) } : {}) },
    });
  }
}

export const action = getOnly;
