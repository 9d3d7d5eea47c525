// A flood of valid events that are as large as the payload rules allow: each carries 30
// properties of 480 characters nobody sent before (~14.7 KB), from several client networks
// (X-Forwarded-For, for a server that trusts one proxy hop) over keep-alive connections.
// Every event has a path of its own (/f{n}), so what was acknowledged can be looked up afterwards.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { Agent, request } from "node:http";

const CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
export const FLOOD_PROPS = 30;
export const FLOOD_VALUE_CHARS = 480;

/** An event body of about 14.7 KB: every value is random, so no two events share a string. */
export function floodBody(domain, n) {
  const props = {};
  // 360 random bytes are 480 base64 characters.
  for (let p = 0; p < FLOOD_PROPS; p++) props[`prop_${p}`] = randomBytes((FLOOD_VALUE_CHARS * 3) / 4).toString("base64");
  return JSON.stringify({ name: "Flood", url: `https://${domain}/f${n}`, domain, referrer: "", props });
}

function post(agent, url, address, body) {
  return new Promise((resolve) => {
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        method: "POST",
        path: "/api/event",
        headers: { "Content-Type": "text/plain", "Content-Length": Buffer.byteLength(body), "User-Agent": CHROME, "X-Forwarded-For": address },
      },
      (res) => {
        const chunks = [];
        res.on("data", (chunk) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode, retryAfter: res.headers["retry-after"], body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", (error) => resolve({ status: 0, error: error.code ?? error.message }));
      },
    );
    req.on("error", (error) => resolve({ status: 0, error: error.code ?? error.message }));
    req.end(body);
  });
}

/**
 * Floods `domain` from `networks` client addresses, each with `connections` keep-alive
 * connections sending one event after the other: for `seconds`, and then on until `enough(state)`
 * says so (at most `maxSeconds`), so a machine too busy to take many events in `seconds` still
 * gets the pressure asked for. Resolves to the paths answered 202, the answers by status (or
 * connection error), one sample answer of each, and how many were sent.
 */
export async function floodEvents(baseUrl, domain, { networks, connections = 40, seconds, enough = () => true, maxSeconds = seconds }) {
  const url = new URL(baseUrl);
  const started = Date.now();
  const acked = new Set();
  const statuses = {};
  const samples = {};
  let next = 0;
  const going = () => {
    // The server is gone: nothing more to learn.
    if (statuses.ECONNREFUSED) return false;
    const elapsed = (Date.now() - started) / 1000;
    return elapsed < seconds || (elapsed < maxSeconds && !enough({ acked, statuses }));
  };
  const agents = [];
  const loops = [];
  for (let network = 0; network < networks; network++) {
    const agent = new Agent({ keepAlive: true, maxSockets: connections });
    agents.push(agent);
    const address = `10.${100 + network}.0.1`;
    for (let c = 0; c < connections; c++) {
      loops.push(
        (async () => {
          while (going()) {
            const n = next++;
            const answer = await post(agent, url, address, floodBody(domain, n));
            const key = answer.status || answer.error;
            statuses[key] = (statuses[key] ?? 0) + 1;
            samples[key] ??= answer;
            if (answer.status === 202) acked.add(`/f${n}`);
          }
        })(),
      );
    }
  }
  await Promise.all(loops);
  for (const agent of agents) agent.destroy();
  return { acked, statuses, samples, sent: next, seconds: Math.round((Date.now() - started) / 100) / 10 };
}

/** The process's peak resident memory so far (VmHWM), in MB: the kernel's own high-water mark. */
export function peakRssMb(pid) {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Math.round(Number(match[1]) / 1024) : NaN;
}

/** The process's resident memory now (VmRSS), in MB. */
export function rssMb(pid) {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Math.round(Number(match[1]) / 1024) : NaN;
}
