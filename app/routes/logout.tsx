import type { ActionFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { getCaller } from "~/lib/caller.server";
import { sessionCookie } from "~/lib/cookies.server";
import { safeRedirect } from "~/lib/errors.server";

/** Back to the login page, or (an invitation for another account) to the page that asked, on our origin only. */
export async function action({ request, context }: ActionFunctionArgs) {
  // Logging out never fails on a body it cannot read: it only loses the destination.
  const form = await request.formData().catch(() => null);
  const caller = await getCaller(request, context);
  await caller.auth.logout();
  return redirect(safeRedirect(form?.get("redirectTo"), "/login"), { headers: { "Set-Cookie": await sessionCookie.serialize("", { maxAge: 0 }) } });
}

/** Logging out changes state, so it is a POST; a GET just goes home. */
export function loader() {
  return redirect("/");
}
