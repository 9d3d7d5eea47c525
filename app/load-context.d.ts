import "@remix-run/node";

declare module "@remix-run/node" {
  interface AppLoadContext {
    /** The client address as Express sees it (honouring TRUST_PROXY). */
    ip: string;
    /** Per-response nonce allowed by the Content-Security-Policy for our inline scripts. */
    cspNonce: string;
  }
  interface Future {
    v3_singleFetch: true;
  }
}
