import type { LoaderFunctionArgs } from "@remix-run/node";
import { getCaller } from "~/lib/caller.server";
import { getOnly } from "~/lib/get-only.server";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const caller = await getCaller(request, context);
  try {
    return Response.json(await caller.system.health(), { headers: { "Cache-Control": "no-store" } });
  } catch {
    return Response.json({ db: "unavailable" }, { status: 503, headers: { "Cache-Control": "no-store" } });
  }
}

export const action = getOnly;
