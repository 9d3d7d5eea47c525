import { createTRPCClient, httpBatchLink, TRPCClientError } from "@trpc/client";
import { MAX_BATCH_CALLS } from "./http/trpc-batch.js";
import type { AppRouter } from "./root.js";

export type { AppRouter };
export { TRPCClientError };

/**
 * A typed client for internal tools. Every procedure of the router is available with the
 * permissions of the key's owner:
 *
 *   const glimpse = createGlimpseClient({ url: "https://glimpse.example.com", apiKey: process.env.GLIMPSE_API_KEY! });
 *   const links = await glimpse.sharedLinks.list.query({ site: "example.com" });
 */
export function createGlimpseClient({ url, apiKey, fetch }: { url: string; apiKey: string; fetch?: typeof globalThis.fetch }) {
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: `${url.replace(/\/+$/, "")}/api/trpc`,
        // The server refuses a request of more calls; more calls at once go as several requests.
        maxItems: MAX_BATCH_CALLS,
        headers: () => ({ Authorization: `Bearer ${apiKey}` }),
        ...(fetch && { fetch }),
      }),
    ],
  });
}

export type GlimpseClient = ReturnType<typeof createGlimpseClient>;
