import { IMPORT_UPLOAD_BYTES } from "../net/body-limits.js";

/**
 * What one import may be. Uploads stream to the database in chunks and rows stream from there
 * into the tables, so none of these is about memory: they bound the disk, the database and the
 * time an upload can take from everyone else.
 */
export const IMPORT_LIMITS = {
  /** The largest upload, all files together: the zip Plausible makes of years of a busy site is far smaller. */
  uploadBytes: IMPORT_UPLOAD_BYTES,
  /** What a zip may unpack to, all entries together. */
  uncompressedBytes: 1024 * 1024 * 1024,
  /** Unpacked / packed size of an entry past 1 MB: CSV of counts packs 5–20×, a zip bomb thousands×. */
  ratio: 100,
  /** Files in one upload or one zip (the export has ten). */
  files: 20,
  /**
   * Chunks the upload is stored in. Each is one statement's parameter, sent as hex text of twice
   * its size: small ones keep that (and PGlite's copy of it) small.
   */
  chunkBytes: 256 * 1024,
  /** Imports of one site started in a day, and imports waiting or running per site at once. */
  perSiteDay: 20,
  perSiteActive: 1,
  /**
   * An upload still `uploading` after this long lost its instance mid-way (the server's 30 s
   * request timeout ends every upload long before): it no longer blocks the site's next import,
   * and the job marks it failed.
   */
  uploadStaleMs: 5 * 60_000,
  /**
   * Uploads one account, and one client network, may start in a day, whatever sites they spread
   * them over: counted before the upload is read, so refused and cut-off uploads count too.
   */
  perAccountDay: 30,
  perNetworkDay: 30,
} as const;

export const describeBytes = (bytes: number) => (bytes >= 1024 * 1024 ? `${Math.round(bytes / 1024 / 1024)} MB` : `${Math.round(bytes / 1024)} KB`);
