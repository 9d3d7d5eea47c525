import type { Readable } from "node:stream";
import type { Db } from "../../db/client.js";
import { Unreadable } from "../errors.js";
import { describeBytes, IMPORT_LIMITS } from "./limits.js";
import { abandonUpload, appendChunk, finishUpload } from "./store.js";

/** More bytes than an upload may hold (HTTP 413). */
export class UploadTooLarge extends Unreadable {
  constructor(limit: number) {
    super(`The upload is larger than ${describeBytes(limit)}, the most an import takes. Upload the zip of Plausible's export, or fewer files at a time.`, 413);
  }
}

const MAX_NAME = 255;

/**
 * Writes an upload's files into the database in chunks as they stream in, so an upload is never
 * held whole in memory and any instance can run the import. Past the limit it stops reading and
 * throws UploadTooLarge; `abandon` then removes what was written.
 */
export class UploadWriter {
  private fileNo = 0;
  private bytes = 0;
  private readonly names: string[] = [];

  constructor(
    private readonly db: Db,
    readonly importId: string,
    private readonly limit: number = IMPORT_LIMITS.uploadBytes,
  ) {}

  async addFile(name: string, stream: Readable): Promise<void> {
    const fileNo = this.fileNo++;
    if (fileNo >= IMPORT_LIMITS.files) {
      stream.resume();
      throw new Unreadable(`Upload at most ${IMPORT_LIMITS.files} files at once; Plausible's export has ten.`, 400);
    }
    // Names are stored and shown: a control character (NUL above all) is no file of an export.
    if (name.length > MAX_NAME || /[\u0000-\u001f\u007f]/.test(name)) {
      stream.resume();
      throw new Unreadable("A file name is longer than 255 characters or holds control characters; Plausible's export names its files like imported_visitors_20240101_20241231.csv.", 400);
    }
    this.names.push(name);
    let chunkNo = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      if (pendingBytes === 0) return;
      const data = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      await appendChunk(this.db, this.importId, fileNo, chunkNo++, name, data);
    };
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      this.bytes += chunk.length;
      if (this.bytes > this.limit) {
        stream.destroy();
        throw new UploadTooLarge(this.limit);
      }
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes >= IMPORT_LIMITS.chunkBytes) await flush();
    }
    await flush();
    // An empty file is still a file: the job names it in its error.
    if (chunkNo === 0) await appendChunk(this.db, this.importId, fileNo, 0, name, new Uint8Array());
  }

  get files(): number {
    return this.fileNo;
  }

  async finish(): Promise<void> {
    if (this.fileNo === 0) throw new Unreadable("Choose the zip of Plausible's export, or its CSV files, to upload.", 400);
    await finishUpload(this.db, this.importId, this.names, this.bytes);
  }

  abandon(): Promise<void> {
    return abandonUpload(this.db, this.importId);
  }
}
