import { env } from "../../server/env.js";

/** The few settings pages need to show (never secrets). */
export function publicConfig() {
  const config = env();
  return { publicUrl: config.publicUrl, production: config.production, mailEnabled: config.mail !== null };
}
