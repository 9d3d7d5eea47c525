import { describe, expect, it } from "vitest";
import { ConfigError, DEVELOPMENT_SECRET, parseEnv } from "./env.js";

const SECRET = "b".repeat(64);

describe("configuration", () => {
  it("refuses to start in production without SESSION_SECRET, with the development default, or with a short one", () => {
    expect(() => parseEnv({ NODE_ENV: "production" })).toThrow(/SESSION_SECRET: is required in production/);
    expect(() => parseEnv({ NODE_ENV: "production", SESSION_SECRET: DEVELOPMENT_SECRET })).toThrow(/development default/);
    expect(() => parseEnv({ NODE_ENV: "production", SESSION_SECRET: "short" })).toThrow(/at least 32 characters/);
    expect(parseEnv({ NODE_ENV: "production", SESSION_SECRET: SECRET }).sessionSecrets).toEqual([SECRET]);
  });

  it("accepts a comma-separated list of secrets for rotation: the first signs", () => {
    const env = parseEnv({ NODE_ENV: "production", SESSION_SECRET: `${SECRET}, ${"c".repeat(40)}` });
    expect(env.sessionSecrets).toEqual([SECRET, "c".repeat(40)]);
  });

  it("names the variable and the fix in its message", () => {
    try {
      parseEnv({ DATABASE_URL: "mysql://x", PORT: "eighty", PUBLIC_URL: "glimpse.example.com" });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as Error).message;
      expect(message).toMatch(/DATABASE_URL: must look like postgres:\/\//);
      expect(message).toMatch(/PORT/);
      expect(message).toMatch(/PUBLIC_URL: must be an absolute http\(s\) URL/);
    }
  });

  it("keeps one columnar stats copy per port under DATA_DIR unless told otherwise", () => {
    expect(parseEnv({}).stats).toEqual({ engine: "columnar", path: "./.data/stats/columnar-3000.duckdb", memoryMb: 96, threads: 2 });
    expect(parseEnv({ DATA_DIR: "/var/lib/glimpse/", PORT: "8080" }).stats.path).toBe("/var/lib/glimpse/stats/columnar-8080.duckdb");
    expect(parseEnv({ STATS_ENGINE: "source", STATS_FILE: "/tmp/copy.duckdb", STATS_MEMORY_MB: "512", STATS_THREADS: "1" }).stats).toEqual({
      engine: "source",
      path: "/tmp/copy.duckdb",
      memoryMb: 512,
      threads: 1,
    });
    expect(() => parseEnv({ STATS_ENGINE: "duckdb" })).toThrow(/STATS_ENGINE: must be columnar, source or clickhouse/);
    expect(() => parseEnv({ STATS_MEMORY_MB: "16" })).toThrow(/STATS_MEMORY_MB: must be at least 64/);
  });

  it("takes a ClickHouse URL that names one database, and says what is wrong with one that does not", () => {
    const clickhouse = (url: string) => parseEnv({ STATS_ENGINE: "clickhouse", CLICKHOUSE_URL: url }).stats.clickhouseUrl;
    expect(clickhouse("http://glimpse:p%25ss@clickhouse:8123/glimpse")).toBe("http://glimpse:p%25ss@clickhouse:8123/glimpse");
    expect(() => clickhouse("http://us%ZZer:pw@clickhouse:8123/glimpse")).toThrow(/CLICKHOUSE_URL: has a % that is not followed by two hex digits/);
    expect(() => clickhouse("http://u:p%@clickhouse:8123/glimpse")).toThrow(/CLICKHOUSE_URL: has a %/);
    expect(() => clickhouse("http://clickhouse:8123/a/b")).toThrow(/CLICKHOUSE_URL: must name one database/);
    expect(() => clickhouse("http://clickhouse:8123/glimpse?x=1")).toThrow(/CLICKHOUSE_URL: must end with the database name/);
    expect(() => clickhouse("ftp://clickhouse/glimpse")).toThrow(/CLICKHOUSE_URL: must be a ClickHouse HTTP URL/);
  });

  it("bounds the events held in memory by count and by megabytes", () => {
    expect(parseEnv({}).ingestBuffer).toEqual({ flushMs: 1000, maxEvents: 20_000, maxBytes: 24 * 1024 * 1024 });
    expect(parseEnv({ INGEST_BUFFER_MB: "8" }).ingestBuffer.maxBytes).toBe(8 * 1024 * 1024);
    expect(() => parseEnv({ INGEST_BUFFER_MB: "0" })).toThrow(/INGEST_BUFFER_MB: must be at least 1/);
  });

  it("runs in development with defaults and the development secret", () => {
    const env = parseEnv({});
    expect(env.production).toBe(false);
    expect(env.publicUrl).toBe("http://localhost:3000");
    expect(env.sessionSecrets).toEqual([DEVELOPMENT_SECRET]);
    expect(env.unlockLimit).toEqual({ max: 10, linkMax: 200, windowMinutes: 15 });
    expect(env.trustProxy).toBe(0);
    expect(env.nodeEnvSet).toBe(false);
  });

  it("checks every secret of a rotation list, not only the first", () => {
    expect(() => parseEnv({ NODE_ENV: "production", SESSION_SECRET: `${SECRET},short` })).toThrow(/every secret in the list must be at least 32 characters/);
  });

  it("trusts proxies by hop count or by address, and refuses a blanket true", () => {
    expect(parseEnv({ TRUST_PROXY: "1" }).trustProxy).toBe(1);
    expect(parseEnv({ TRUST_PROXY: "false" }).trustProxy).toBe(0);
    expect(parseEnv({ TRUST_PROXY: "loopback, 10.0.0.0/8, 2001:db8::/32, 192.0.2.1" }).trustProxy).toEqual(["loopback", "10.0.0.0/8", "2001:db8::/32", "192.0.2.1"]);
    expect(() => parseEnv({ TRUST_PROXY: "true" })).toThrow(/TRUST_PROXY: true would let every client choose its own address/);
    expect(() => parseEnv({ TRUST_PROXY: "10.0.0.0/33" })).toThrow(/TRUST_PROXY: “10.0.0.0\/33” is neither/);
    expect(() => parseEnv({ TRUST_PROXY: "proxy.internal" })).toThrow(/TRUST_PROXY/);
    expect(() => parseEnv({ TRUST_PROXY: "99" })).toThrow(/at most 10 proxy hops/);
  });

  it("has generous defaults for the per-account caps, and reads them as numbers", () => {
    const env = parseEnv({});
    expect(env.sitesPerAccount).toBe(50);
    expect(env.digestLimits).toEqual({ recipientsPerAccount: 500, mailsPerAccount: { hour: 30, day: 100 }, mailsPerNetwork: { hour: 60, day: 200 } });
    expect(parseEnv({ MAX_SITES_PER_ACCOUNT: "1000", DIGEST_MAILS_PER_NETWORK_DAY: "5000" })).toMatchObject({ sitesPerAccount: 1000, digestLimits: { mailsPerNetwork: { day: 5000 } } });
    expect(() => parseEnv({ MAX_SITES_PER_ACCOUNT: "0" })).toThrow(/MAX_SITES_PER_ACCOUNT/);
    expect(() => parseEnv({ DIGEST_MAILS_PER_ACCOUNT_HOUR: "lots" })).toThrow(/DIGEST_MAILS_PER_ACCOUNT_HOUR/);
  });
});
