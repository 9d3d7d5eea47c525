/** What the HTTP server in front of Remix (scripts/serve.mjs) needs from the backend, in one place. */
export { bodyLimit, describeLimit } from "../../server/net/body-limits.js";
export { validClientAddress } from "../../server/net/client-address.js";
export * from "../../server/http/guards.js";
export { isPlainPath, isSecretPath, isSharePath, loggablePath, routePath } from "../../server/http/paths.js";
export { receiveEvent } from "../../server/runtime.js";
export { importUpload, siteExport } from "./imports-http.server";
