import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import type { StatsServices } from "../stats/dashboard.js";
import type { Env } from "../env.js";
import { runDigests } from "./job.js";
import { configuredMailer, type Mailer } from "./mailer.js";

export interface DigestScheduler {
  /** Waits for a run in progress, so a digest being sent is marked before the database closes. */
  stop(): Promise<void>;
}

/**
 * Checks for due digests every DIGEST_CHECK_SECONDS, in every instance: the database decides
 * which one sends what (digests/job.ts). Nothing runs without SMTP_URL.
 */
export function startDigestScheduler(stats: StatsServices, config: Env, log: (line: string) => void, mailer?: Mailer): DigestScheduler | null {
  if (!config.mail) {
    log("Digests: off (set SMTP_URL to send them)");
    return null;
  }
  const transport = mailer ?? configuredMailer(config.mail)!;
  const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const host = new URL(config.publicUrl).hostname;
  let running: Promise<void> | null = null;
  let stopped = false;
  const tick = () => {
    if (running || stopped) return;
    running = runDigests(stats, transport, { now: new Date(), clock: () => new Date(), owner, host })
      .then((result) => {
        if (result.sent + result.retrying + result.failed > 0) {
          log(`Digests: ${result.sent} sent, ${result.retrying} to retry, ${result.failed} given up`);
        }
      })
      .catch((error: unknown) => log(`Digests: check failed (${error instanceof Error ? error.message : String(error)}); trying again later`))
      .finally(() => {
        running = null;
      });
  };
  // Soon after start, so digests missed while the server was down go out without waiting a period.
  const first = setTimeout(tick, Math.min(5_000, config.mail.checkSeconds * 1000));
  const timer = setInterval(tick, config.mail.checkSeconds * 1000);
  first.unref();
  timer.unref();
  log(`Digests: on, through ${new URL(config.mail.smtpUrl).host}, checked every ${config.mail.checkSeconds} s`);
  return {
    async stop() {
      stopped = true;
      clearTimeout(first);
      clearInterval(timer);
      await running;
      transport.close();
    },
  };
}
