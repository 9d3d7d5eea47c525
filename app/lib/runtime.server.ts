import { env } from "../../server/env.js";
import { startDatabase, stopDatabase, warmUp, writeHeldEvents } from "../../server/runtime.js";

export { warmUp, writeHeldEvents };

export interface BootResult {
  production: boolean;
  port: number;
  host: string;
  publicUrl: string;
  publicOrigin: string;
  /** Express's "trust proxy": a number of hops or a list of proxy addresses and ranges. */
  trustProxy: number | string[];
  logRequests: boolean;
}

/** Validates the configuration, prepares the database, and tells the server how to listen. */
export async function boot({ log }: { log: (line: string) => void }): Promise<BootResult> {
  const config = env();
  const publicUrl = new URL(config.publicUrl);
  if (config.production && publicUrl.protocol === "http:" && !["localhost", "127.0.0.1", "[::1]"].includes(publicUrl.hostname)) {
    log(`Warning: PUBLIC_URL is ${config.publicUrl}; in production cookies are Secure, so browsers keep them only over https. Serve Glimpse over https.`);
  }
  if (!config.nodeEnvSet) {
    log("NODE_ENV is not set, so Glimpse runs in development mode: a development secret, cookies without Secure. Set NODE_ENV=production (and SESSION_SECRET) for a deployment.");
  }
  await startDatabase(log);
  return {
    production: config.production,
    port: config.port,
    host: config.host,
    publicUrl: config.publicUrl,
    publicOrigin: publicUrl.origin,
    trustProxy: config.trustProxy,
    logRequests: config.logRequests,
  };
}

export const shutdown = stopDatabase;
