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

  it("runs in development with defaults and the development secret", () => {
    const env = parseEnv({});
    expect(env.production).toBe(false);
    expect(env.publicUrl).toBe("http://localhost:3000");
    expect(env.sessionSecrets).toEqual([DEVELOPMENT_SECRET]);
    expect(env.unlockLimit).toEqual({ max: 10, windowMinutes: 15 });
  });
});
