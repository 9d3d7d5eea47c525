import type { ActionFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { getCaller } from "~/lib/caller.server";
import { sessionCookie } from "~/lib/cookies.server";

export async function action({ request, context }: ActionFunctionArgs) {
  const caller = await getCaller(request, context);
  await caller.auth.logout();
  return redirect("/login", { headers: { "Set-Cookie": await sessionCookie.serialize("", { maxAge: 0 }) } });
}

/** Logging out changes state, so it is a POST; a GET just goes home. */
export function loader() {
  return redirect("/");
}
