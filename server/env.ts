import { z } from "zod";
import { parseTrustProxy } from "./net/client-address.js";

/** Known only to development and tests; production refuses to start with it. */
export const DEVELOPMENT_SECRET = "glimpse-development-secret-do-not-use-in-production";

const schema = z
  .object({
    NODE_ENV: z.enum(["development", "production", "test"]).optional(),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\/\S+$/, "must look like postgres://user@host:5432/database")
      .optional(),
    DATA_DIR: z.string().min(1).default("./.data"),
    SESSION_SECRET: z.string().optional(),
    PUBLIC_URL: z.url({ protocol: /^https?$/, error: "must be an absolute http(s) URL such as https://glimpse.example.com" }).optional(),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().default("0.0.0.0"),
    TRUSTED_PROXY_COUNTRY_HEADER: z
      .string()
      .regex(/^[A-Za-z0-9-]+$/, "must be an HTTP header name such as CF-IPCountry")
      .optional(),
    GEOIP_DATABASE: z.string().min(1).optional(),
    TRUST_PROXY: z
      .string()
      .default("0")
      .transform((value, ctx) => {
        const parsed = parseTrustProxy(value);
        if (parsed.ok) return parsed.trust;
        ctx.addIssue({ code: "custom", message: parsed.message });
        return z.NEVER;
      }),
    UNLOCK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(1000).default(10),
    UNLOCK_LINK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100_000).optional(),
    UNLOCK_WINDOW_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(15),
    INGEST_MAX_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(6000),
    INGEST_FLUSH_MS: z.coerce.number().int().min(10, "must be at least 10").max(60_000, "must be at most 60000 (a minute)").default(1000),
    INGEST_BUFFER_EVENTS: z.coerce.number().int().min(100, "must be at least 100").max(1_000_000).default(20_000),
    INGEST_BUFFER_MB: z.coerce.number().int().min(1, "must be at least 1").max(100_000).default(24),
    STATEMENT_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
    STATS_ENGINE: z.enum(["columnar", "source", "clickhouse"], { error: "must be columnar, source or clickhouse" }).default("columnar"),
    CLICKHOUSE_URL: z
      .url({ protocol: /^https?$/, error: "must be a ClickHouse HTTP URL such as http://user:password@clickhouse:8123/glimpse" })
      .superRefine((value, ctx) => {
        const problem = clickhouseUrlProblem(value);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      })
      .optional(),
    STATS_FILE: z.string().min(1).optional(),
    STATS_MEMORY_MB: z.coerce.number().int().min(64, "must be at least 64").max(1_000_000).default(96),
    STATS_THREADS: z.coerce.number().int().min(1).max(256).default(2),
    SMTP_URL: z
      .url({ protocol: /^smtps?$/, error: "must be an SMTP URL such as smtps://user:password@smtp.example.com:465" })
      .optional(),
    MAIL_FROM: z.string().min(3).max(300).optional(),
    DIGEST_CHECK_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
    MAX_SITES_PER_ACCOUNT: z.coerce.number().int().min(1).max(1_000_000).default(50),
    DIGEST_RECIPIENTS_PER_ACCOUNT: z.coerce.number().int().min(1).max(1_000_000).default(500),
    DIGEST_MAILS_PER_ACCOUNT_HOUR: z.coerce.number().int().min(1).max(1_000_000).default(30),
    DIGEST_MAILS_PER_ACCOUNT_DAY: z.coerce.number().int().min(1).max(1_000_000).default(100),
    DIGEST_MAILS_PER_NETWORK_HOUR: z.coerce.number().int().min(1).max(1_000_000).default(60),
    DIGEST_MAILS_PER_NETWORK_DAY: z.coerce.number().int().min(1).max(1_000_000).default(200),
    SEED: z.enum(["true", "false"]).default("true"),
    LOG_REQUESTS: z.enum(["true", "false"]).default("true"),
  })
  .transform((env, ctx) => {
    const production = env.NODE_ENV === "production";
    const secrets = (env.SESSION_SECRET ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    if (production) {
      if (secrets.length === 0) {
        ctx.addIssue({ code: "custom", path: ["SESSION_SECRET"], message: "is required in production (32+ random characters; openssl rand -hex 32 makes one)" });
      } else if (secrets.some((s) => s === DEVELOPMENT_SECRET)) {
        ctx.addIssue({ code: "custom", path: ["SESSION_SECRET"], message: "is the development default; set a real secret (openssl rand -hex 32)" });
      } else if (secrets.some((s) => s.length < 32)) {
        ctx.addIssue({
          code: "custom",
          path: ["SESSION_SECRET"],
          message: `${secrets.length > 1 ? "every secret in the list must be" : "must be"} at least 32 characters (openssl rand -hex 32 makes one)`,
        });
      }
    }
    if (env.STATS_ENGINE === "clickhouse" && !env.CLICKHOUSE_URL) {
      ctx.addIssue({ code: "custom", path: ["CLICKHOUSE_URL"], message: "is required with STATS_ENGINE=clickhouse (http://user:password@host:8123/database)" });
    }
    const publicUrl = (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, "");
    return {
      production,
      nodeEnv: env.NODE_ENV ?? "development",
      /** False when NODE_ENV was not set at all: the server says at start that it runs in development. */
      nodeEnvSet: env.NODE_ENV !== undefined,
      databaseUrl: env.DATABASE_URL,
      dataDir: env.DATA_DIR,
      /** The first secret signs; every secret verifies, so secrets can be rotated. */
      sessionSecrets: secrets.length > 0 ? secrets : [DEVELOPMENT_SECRET],
      publicUrl,
      port: env.PORT,
      host: env.HOST,
      countryHeader: env.TRUSTED_PROXY_COUNTRY_HEADER?.toLowerCase(),
      /** An MMDB country database of the user's own; the shipped open one otherwise. */
      geoipDatabase: env.GEOIP_DATABASE,
      /** Proxy hops, or proxy addresses and ranges, whose X-Forwarded-For is believed. */
      trustProxy: env.TRUST_PROXY,
      /** Wrong passwords per link: `max` from one client network, `linkMax` from everywhere together. */
      unlockLimit: {
        max: env.UNLOCK_MAX_ATTEMPTS,
        linkMax: env.UNLOCK_LINK_MAX_ATTEMPTS ?? env.UNLOCK_MAX_ATTEMPTS * 20,
        windowMinutes: env.UNLOCK_WINDOW_MINUTES,
      },
      ingestPerMinute: env.INGEST_MAX_PER_MINUTE,
      /**
       * Accepted events wait in memory at most flushMs before they are written together; at most
       * maxEvents and maxBytes are held (while the database cannot take them, or events come
       * faster than it does), and further events get 503.
       */
      ingestBuffer: { flushMs: env.INGEST_FLUSH_MS, maxEvents: env.INGEST_BUFFER_EVENTS, maxBytes: env.INGEST_BUFFER_MB * 1024 * 1024 },
      statementTimeoutMs: env.STATEMENT_TIMEOUT_SECONDS * 1000,
      /**
       * The columnar copy of finished days: one file per instance (two processes cannot share one),
       * so by default the port names it.
       */
      stats: {
        engine: env.STATS_ENGINE,
        path: env.STATS_FILE ?? `${env.DATA_DIR.replace(/\/+$/, "")}/stats/columnar-${env.PORT}.duckdb`,
        memoryMb: env.STATS_MEMORY_MB,
        threads: env.STATS_THREADS,
        /** The shared ClickHouse copy every instance reads with STATS_ENGINE=clickhouse. */
        clickhouseUrl: env.CLICKHOUSE_URL,
      },
      /** Digest emails; null: digests are off (the settings say so, and nothing is sent). */
      mail: env.SMTP_URL
        ? { smtpUrl: env.SMTP_URL, from: env.MAIL_FROM ?? `Glimpse <digests@${new URL(publicUrl).hostname}>`, checkSeconds: env.DIGEST_CHECK_SECONDS }
        : null,
      /** Sites one account may own: sign-up is open, so an account is not a free supply of sites. */
      sitesPerAccount: env.MAX_SITES_PER_ACCOUNT,
      /**
       * Mail sent on demand (digest confirmations and previews) per account and per client network,
       * and digest recipients one account may add over all sites; per-link and per-site caps are
       * fixed (server/schemas/digests.ts).
       */
      digestLimits: {
        recipientsPerAccount: env.DIGEST_RECIPIENTS_PER_ACCOUNT,
        mailsPerAccount: { hour: env.DIGEST_MAILS_PER_ACCOUNT_HOUR, day: env.DIGEST_MAILS_PER_ACCOUNT_DAY },
        mailsPerNetwork: { hour: env.DIGEST_MAILS_PER_NETWORK_HOUR, day: env.DIGEST_MAILS_PER_NETWORK_DAY },
      },
      seed: env.SEED === "true",
      logRequests: env.LOG_REQUESTS === "true",
    };
  });

export type Env = z.output<typeof schema>;

/** What the URL parser lets through but a ClickHouse URL cannot mean: one database, escapes that decode, nothing after. */
function clickhouseUrlProblem(value: string): string | null {
  const url = new URL(value);
  if (url.search || url.hash) return "must end with the database name: no ?query or #fragment (http://user:password@host:8123/database)";
  const decodes = (part: string) => {
    try {
      decodeURIComponent(part);
      return true;
    } catch {
      return false;
    }
  };
  if (![url.username, url.password, url.pathname].every(decodes)) return "has a % that is not followed by two hex digits: write a % in a user name or password as %25";
  const database = decodeURIComponent(url.pathname.replace(/^\/+|\/+$/g, ""));
  if (database.includes("/")) return "must name one database after the port (http://user:password@host:8123/database), not a path";
  return null;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

export function parseEnv(source: Record<string, string | undefined>): Env {
  const result = schema.safeParse(source);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${issue.path.join(".") || "environment"}: ${issue.message}`);
  throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
}

let cached: Env | undefined;

/** The only reader of process.env in the backend. */
export function env(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}
