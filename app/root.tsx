import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import {
  Form,
  isRouteErrorResponse,
  Link,
  Links,
  Meta,
  Outlet,
  Scripts,
  ScrollRestoration,
  useMatches,
  useRouteError,
  useRouteLoaderData,
} from "@remix-run/react";
import type { ReactNode } from "react";
import { getCaller } from "~/lib/caller.server";
import { readSessionToken, sessionCookie } from "~/lib/cookies.server";
import { useNonce } from "~/lib/nonce";
import appStyles from "~/styles/app.css";
import dashboardStyles from "~/styles/dashboard.css";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: appStyles },
  { rel: "stylesheet", href: dashboardStyles },
  { rel: "icon", href: "/favicon.svg", type: "image/svg+xml" },
];

export const meta: MetaFunction = () => [{ title: "Glimpse" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const caller = await getCaller(request, context);
  const user = await caller.auth.me();
  // Sliding expiry: the session row was just extended, so the cookie is sent again with a fresh Max-Age.
  const token = user ? await readSessionToken(request) : null;
  const headers: HeadersInit = token ? { "Set-Cookie": await sessionCookie.serialize(token) } : {};
  return data({ user }, { headers });
}

/** Routes that are not part of the admin app (share pages) opt out of the header with `handle.chrome = false`. */
function useChrome() {
  return !useMatches().some((m) => (m.handle as { chrome?: boolean } | undefined)?.chrome === false);
}

export function Layout({ children }: { children: ReactNode }) {
  const nonce = useNonce();
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
      </head>
      <body>
        {children}
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

function Header() {
  const data = useRouteLoaderData<typeof loader>("root");
  const user = data?.user;
  return (
    <header className="app-header">
      <Link to="/" className="brand">
        <span className="brand-mark" aria-hidden="true" />
        Glimpse
      </Link>
      {user ? (
        <nav className="app-nav" aria-label="Account">
          <Link to="/account">Account</Link>
          <Link to="/account/api-keys">API keys</Link>
          <span className="app-user" title={user.email}>
            {user.email}
          </span>
          <Form method="post" action="/logout">
            <button type="submit" className="button-link">
              Log out
            </button>
          </Form>
        </nav>
      ) : (
        <nav className="app-nav" aria-label="Account">
          <Link to="/login">Log in</Link>
          <Link to="/signup">Sign up</Link>
        </nav>
      )}
    </header>
  );
}

export default function App() {
  const chrome = useChrome();
  if (!chrome) return <Outlet />;
  return (
    <>
      <Header />
      <main className="app-main">
        <Outlet />
      </main>
    </>
  );
}

export function ErrorBoundary() {
  const error = useRouteError();
  const status = isRouteErrorResponse(error) ? error.status : 500;
  const title =
    status === 404
      ? "Page not found"
      : status === 403
        ? "Not allowed"
        : status === 429
          ? "Too many requests"
          : status === 503
            ? "Not available right now"
            : status < 500
              ? "Something is not right"
              : "Something went wrong";
  // Our own 4xx and 503 answers carry a sentence written for people; other 5xx do not.
  // A method a page does not take (POST where it has no form, OPTIONS): the framework's own words
  // about routes and actions are not for people.
  const detail =
    status === 404
      ? "This page does not exist, or you do not have access to it."
      : status === 405
        ? "This page does not take that kind of request."
        : isRouteErrorResponse(error) && (status < 500 || status === 503)
        ? String(error.data || error.statusText)
        : "An unexpected error happened on our side. Please try again in a moment.";
  return (
    <main className="app-main narrow error-page">
      <p className="error-status">{status}</p>
      <h1>{title}</h1>
      <p>{detail}</p>
      <p>
        <a href="/">Go to your sites</a>
      </p>
    </main>
  );
}
