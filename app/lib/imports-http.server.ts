import type { IncomingMessage } from "node:http";
import type { StreamReply } from "../../server/http/imports.js";
import { receiveImportUpload, sendSiteExport } from "../../server/runtime.js";
import { readSessionToken } from "./cookies.server.js";

/**
 * The imports' upload and export endpoints for the HTTP server in front of Remix: bodies are
 * streams there, read before Remix would buffer them. The session cookie is read here, where its
 * signing secrets live; an API key comes in `Authorization: Bearer …`.
 */
async function streamRequest(req: IncomingMessage, domain: string, ip: string | null) {
  const header = req.headers.authorization;
  const bearer = header ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] ?? null : null;
  const sessionToken = bearer ? null : await readSessionToken(new Request("http://localhost/", { headers: { Cookie: req.headers.cookie ?? "" } }));
  return { domain, headers: req.headers, query: new URL(req.url ?? "/", "http://localhost").searchParams, body: req, ip, sessionToken, apiKey: bearer };
}

export async function importUpload(req: IncomingMessage, domain: string, ip: string | null): Promise<StreamReply> {
  return receiveImportUpload(await streamRequest(req, domain, ip));
}

export async function siteExport(req: IncomingMessage, domain: string, ip: string | null): Promise<StreamReply> {
  return sendSiteExport(await streamRequest(req, domain, ip));
}
