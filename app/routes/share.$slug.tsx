import type { ActionFunctionArgs, HeadersFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { isRouteErrorResponse, useActionData, useLoaderData, useLocation, useRouteError } from "@remix-run/react";
import { useEffect } from "react";
import { TRPCError } from "@trpc/server";
import { Dashboard, type DashboardSegment } from "~/components/dashboard/dashboard";
import { FullBreakdown } from "~/components/dashboard/full-breakdown";
import { PasswordForm, ShareGone, ShareNotFound } from "~/components/share/password-form";
import { getCaller } from "~/lib/caller.server";
import { contentSecurityPolicy } from "~/lib/csp.server";
import { parseDashboardQuery } from "~/lib/dashboard-query";
import { DIMENSIONS, type Dimension } from "../../server/schemas/filters";
import { goneResponse, httpError, toFormError } from "~/lib/errors.server";
import { withUnlock } from "~/lib/unlock-cookie.server";
import { readForm } from "~/lib/forms.server";
import { tryAgainIn } from "~/lib/format";
import { offerSharePage } from "~/lib/share-page-cache.server";

/** Recipients see no admin header, no links into the app. */
export const handle = { chrome: false };

export const meta: MetaFunction<typeof loader> = ({ data, error }) => [
  { title: data ? titleOf(data) : errorTitle(error) },
  { name: "robots", content: "noindex, nofollow" },
];

function titleOf(data: ReturnType<typeof useLoaderData<typeof loader>>): string {
  if (data.state === "locked") return "Password required · Glimpse";
  return data.state === "open" ? `${data.stats.site.domain} · Glimpse` : "Shared dashboard · Glimpse";
}

/** Error pages say what their heading says, and nothing about the link. */
function errorTitle(error: unknown): string {
  const status = isRouteErrorResponse(error) ? error.status : 500;
  if (status === 404) return "Shared link not found · Glimpse";
  if (status === 410) return `Shared link ${(error as { data?: { reason?: string } }).data?.reason === "paused" ? "paused" : "expired"} · Glimpse`;
  if (status === 403) return "Not part of this shared link · Glimpse";
  return "Shared dashboard unavailable · Glimpse";
}

export const headers: HeadersFunction = ({ loaderHeaders, actionHeaders, errorHeaders }) => {
  const headers = new Headers(loaderHeaders);
  for (const [key, value] of actionHeaders) headers.set(key, value);
  for (const [key, value] of errorHeaders ?? []) headers.set(key, value);
  return headers;
};

const notFound = () => new Response("This shared link does not exist or was deleted", { status: 404 });


/**
 * `/share/:slug`, and `/embed/:token` (remix.config.js): an embed token (sharedLinks.createEmbedToken)
 * stands in for the unlock cookie a frame cannot have, and names its link itself, so an embed's
 * address holds no slug that a reader could open without the token's locks.
 */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const url = new URL(request.url);
  const token = params.token;
  // The earlier form, /share/<slug>?embed=true&token=…, moves to the token's own address: it can
  // only ever show what the token allows, and the frame's address stops naming the slug.
  const oldToken = params.slug !== undefined ? url.searchParams.get("token") : null;
  if (oldToken !== null) throw redirect(embedPath(oldToken, url.searchParams), { headers: { "Cache-Control": "no-store" } });
  const slug = token === undefined ? (params.slug ?? "") : undefined;
  const caller = await getCaller(request, context);
  const embed = token !== undefined || url.searchParams.get("embed") === "true";
  const query = parseDashboardQuery(url.searchParams);
  const headers = new Headers({ "Cache-Control": "private, no-store" });
  const more = DIMENSIONS.find((d) => d === url.searchParams.get("more"));
  try {
    // Only a rendered embed may be framed by other sites; the password form never is.
    const frameable = (origins: string[]) =>
      embed && headers.set("Content-Security-Policy", contentSecurityPolicy(context.cspNonce, { frameable: true, origins }));
    if (more) {
      const breakdown = await caller.share.breakdown({ slug, period: query.period, filters: query.filters, dimension: more as Dimension, token });
      frameable(breakdown.scope.embedOrigins);
      return data({ state: "more" as const, breakdown, embed }, { headers });
    }
    const { version, ...stats } = await caller.share.stats({ slug, period: query.period, filters: query.filters, token });
    frameable(stats.scope.embedOrigins);
    // A page opened with a token is checked with that token each time, never shown again from the cache.
    if (slug !== undefined) offerSharePage(request, context, { slug, version });
    return data({ state: "open" as const, stats, embed }, { headers });
  } catch (error) {
    const isGone = goneResponse(error);
    if (isGone) throw isGone;
    if (error instanceof TRPCError && error.code === "NOT_FOUND") throw notFound();
    // An embed whose token no longer opens the link says so; a frame has no password form to offer.
    if (error instanceof TRPCError && error.code === "UNAUTHORIZED" && token !== undefined) {
      // Framable, so the embedding page shows this message rather than a broken frame; it names nothing.
      throw new Response(error.message, { status: 401, headers: { "Content-Security-Policy": contentSecurityPolicy(context.cspNonce, { frameable: embed }) } });
    }
    if (error instanceof TRPCError && error.code === "UNAUTHORIZED") return data({ state: "locked" as const }, { headers });
    return httpError(error, request);
  }
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const caller = await getCaller(request, context);
  const slug = params.slug ?? "";
  const form = await readForm(request);
  const password = form.get("password");
  try {
    const unlocked = await caller.share.unlock({ slug, password: typeof password === "string" ? password : "" });
    const url = new URL(request.url);
    // 303 back to the same address, so the visitor keeps their period and filters.
    return redirect(`${url.pathname}${url.search}`, {
      status: 303,
      headers: { "Set-Cookie": await withUnlock(request, slug, unlocked.fingerprint, unlocked.expiresAt) },
    });
  } catch (error) {
    const isGone = goneResponse(error);
    if (isGone) throw isGone;
    if (error instanceof TRPCError && error.code === "NOT_FOUND") throw notFound();
    const failure = toFormError(error);
    const headers: HeadersInit = failure.retryAfter ? { "Retry-After": String(failure.retryAfter) } : {};
    const message = failure.retryAfter ? `${failure.message} ${tryAgainIn(failure.retryAfter)}` : failure.message;
    return data({ error: message, tooMany: failure.status === 429 }, { status: failure.status, headers });
  }
}

/** The token's own address, keeping the view's query (period, filters, theme) but not the token or `embed`. */
function embedPath(token: string, search: URLSearchParams): string {
  const rest = new URLSearchParams(search);
  rest.delete("token");
  rest.delete("embed");
  const query = rest.toString();
  return `/embed/${encodeURIComponent(token)}${query ? `?${query}` : ""}`;
}

/**
 * In a frame, tells the embedding page how tall the dashboard is, whenever that changes, so the
 * page's embed script (public/js/embed.js) can size the frame to it.
 */
function usePostHeight(active: boolean) {
  useEffect(() => {
    if (!active || window.parent === window) return;
    // The content's own height (and a margin): the embed's page is never shorter than its frame.
    const content = document.querySelector(".dash-inner") ?? document.body;
    const post = () => window.parent.postMessage({ type: "glimpse:resize", height: Math.ceil(content.getBoundingClientRect().bottom + window.scrollY) + 24 }, "*");
    const observer = new ResizeObserver(post);
    observer.observe(content);
    post();
    return () => observer.disconnect();
  }, [active]);
}

export default function SharedDashboard() {
  const loaded = useLoaderData<typeof loader>();
  usePostHeight(loaded.state !== "locked" && loaded.embed);
  const result = useActionData<typeof action>();
  const location = useLocation();
  if (loaded.state === "locked") return <PasswordForm error={result?.error} tooMany={result?.tooMany} />;
  if (loaded.state === "more") {
    return (
      <main>
        <FullBreakdown
          breakdown={loaded.breakdown}
          basePath={location.pathname}
          search={location.search}
          embed={loaded.embed}
          filterable={loaded.breakdown.scope.canFilter}
        />
      </main>
    );
  }
  return (
    <main>
      <Dashboard
        stats={loaded.stats}
        basePath={location.pathname}
        search={location.search}
        segment={withLocked(loaded.stats.segment, loaded.stats.scope.lockedFilters)}
        scope={loaded.stats.scope}
        mode="share"
        embed={loaded.embed}
      />
    </main>
  );
}

/** Filters an embed token adds are shown with the segment's: fixed, not removable. */
function withLocked(segment: DashboardSegment | null, locked: DashboardSegment["filters"]): DashboardSegment | null {
  if (locked.length === 0) return segment;
  return { name: segment ? segment.name : "This embed", filters: [...(segment?.filters ?? []), ...locked] };
}

export function ErrorBoundary() {
  const error = useRouteError();
  const location = useLocation();
  if (isRouteErrorResponse(error) && error.status === 404) return <ShareNotFound />;
  if (isRouteErrorResponse(error) && error.status === 410) return <ShareGone reason={error.data?.reason === "paused" ? "paused" : "expired"} />;
  // A filter or section the link does not allow: the same dashboard without what was refused.
  const refused = isRouteErrorResponse(error) && error.status === 403;
  return (
    <main className="share-lock">
      <div className="auth-card">
        <h1>{refused ? "This view is not part of the shared link" : "This dashboard could not be shown"}</h1>
        <p className="muted">
          {isRouteErrorResponse(error) && (error.status < 500 || error.status === 503) ? String(error.data) : "Something went wrong on our side. Please try again in a moment."}
        </p>
        {refused ? (
          <p>
            <a href={withoutFiltersOrMore(location.search, location.pathname)}>Open the shared dashboard</a>
          </p>
        ) : null}
      </div>
    </main>
  );
}

function withoutFiltersOrMore(search: string, pathname: string): string {
  const params = new URLSearchParams(search);
  params.delete("f");
  params.delete("more");
  const rest = params.toString();
  return rest ? `${pathname}?${rest}` : pathname;
}
