import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { receiveEvent } from "~/lib/http.server";

async function answer(request: Request, ip: string) {
  const body = request.method === "POST" ? await request.text() : "";
  const reply = await receiveEvent({ method: request.method, body, ip, header: (name) => request.headers.get(name) });
  return new Response(reply.body || null, { status: reply.status, headers: reply.headers });
}

export function action({ request, context }: ActionFunctionArgs) {
  return answer(request, context.ip);
}

export function loader({ request, context }: LoaderFunctionArgs) {
  return answer(request, context.ip);
}
