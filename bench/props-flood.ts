// The largest valid events, as fast as the server answers: 30 properties of 480 characters nobody
// sent before (~14.7 KB each) from 12 client networks × 40 keep-alive connections (the bench plays
// the trusted proxy, so each network is an X-Forwarded-For address). Before the buffer was
// bounded by bytes, 6 or 12 such networks ran a 128 MB heap out of memory within seconds and every
// acknowledged event was lost.
import { randomBytes } from "node:crypto";
import { Agent, request } from "node:http";
import type { Running } from "./server.js";

export const FLOOD_NETWORKS = 12;
export const FLOOD_CONNECTIONS = 40;

/** A pageview (so the embedded database's dashboard counts it) to a page of its own, with 30 random properties. */
function floodBody(domain: string, n: number): string {
  const props: Record<string, string> = {};
  for (let p = 0; p < 30; p++) props[`prop_${p}`] = randomBytes(360).toString("base64");
  return JSON.stringify({ name: "pageview", url: `https://${domain}/bench/flood-${n}`, domain, referrer: "", props });
}

function post(agent: Agent, url: URL, address: string, body: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        method: "POST",
        path: "/api/event",
        headers: { "Content-Type": "text/plain", "Content-Length": Buffer.byteLength(body), "User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "X-Forwarded-For": address },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
        res.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
      },
    );
    req.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
    req.end(body);
  });
}

let sequence = 0;

/** Floods `domain` for `seconds`; the answers by status (or connection error). */
export async function propsFlood(server: Running, domain: string, seconds: number): Promise<Record<string, number>> {
  const url = new URL(server.url);
  const until = Date.now() + seconds * 1000;
  const tally: Record<string, number> = {};
  const agents = Array.from({ length: FLOOD_NETWORKS }, () => new Agent({ keepAlive: true, maxSockets: FLOOD_CONNECTIONS }));
  await Promise.all(
    agents.flatMap((agent, network) =>
      Array.from({ length: FLOOD_CONNECTIONS }, async () => {
        while (Date.now() < until) {
          const answer = await post(agent, url, `203.0.113.${100 + network}`, floodBody(domain, sequence++));
          tally[answer] = (tally[answer] ?? 0) + 1;
        }
      }),
    ),
  );
  for (const agent of agents) agent.destroy();
  return tally;
}
