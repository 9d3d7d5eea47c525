import { PassThrough, type Readable } from "node:stream";
import yauzl from "yauzl";
import { ImportInputError } from "./parse-csv.js";
import { describeBytes, IMPORT_LIMITS } from "./limits.js";
import { parseFileName, type TableName } from "./tables.js";

/** One CSV file of the upload, loose or inside a zip. */
export interface CsvSource {
  name: string;
  table: TableName;
  /** The days its name says it covers. */
  days: { from: string; to: string };
  /** Its size in bytes (unpacked), for progress. */
  size: number;
  open(): Promise<Readable>;
}

export interface UploadedFile {
  name: string;
  path: string;
  size: number;
}

/** Entries zips carry that are nobody's data. */
const NOISE = /(^|\/)(__MACOSX\/|\.DS_Store$|Thumbs\.db$)/;

/**
 * The CSV files of an upload: loose files, or the entries of zips, checked before a single row is
 * read — names (one of the ten tables, nothing outside the archive), one file per table, sizes and
 * packing ratios (zip bombs), and at least one file. `close` releases open zips.
 */
export async function openUpload(files: UploadedFile[], open: (path: string) => Readable): Promise<{ sources: CsvSource[]; close: () => void }> {
  const sources: CsvSource[] = [];
  const zips: yauzl.ZipFile[] = [];
  const close = () => zips.forEach((zip) => zip.close());
  // What the whole upload unpacks to: one limit for all its zips and files together.
  const unpacked = { bytes: 0 };
  try {
    for (const file of files) {
      if (/\.zip$/i.test(file.name)) {
        const zip = await openZip(file, unpacked);
        zips.push(zip.file);
        sources.push(...zip.sources);
      } else {
        const parsed = parseFileName(file.name);
        if ("error" in parsed) throw new ImportInputError(parsed.error);
        countUnpacked(unpacked, file.size, file.name);
        sources.push({ name: file.name, table: parsed.table, days: { from: parsed.from, to: parsed.to }, size: file.size, open: async () => open(file.path) });
      }
    }
    if (sources.length === 0) throw new ImportInputError(files.length === 1 ? `${files[0]!.name}: the zip holds no CSV files` : "The upload holds no CSV files");
    if (sources.length > IMPORT_LIMITS.files) throw new ImportInputError(`The upload holds ${sources.length} files; an export has ten (one per table)`);
    const byTable = new Map<TableName, string>();
    for (const source of sources) {
      const other = byTable.get(source.table);
      if (other) throw new ImportInputError(`${source.name}: ${other} already holds ${source.table}; give one file per table`);
      byTable.set(source.table, source.name);
    }
    return { sources, close };
  } catch (error) {
    close();
    throw error;
  }
}

function countUnpacked(unpacked: { bytes: number }, size: number, name: string): void {
  unpacked.bytes += size;
  if (unpacked.bytes > IMPORT_LIMITS.uncompressedBytes) throw new ImportInputError(`${name}: the upload unpacks to more than ${describeBytes(IMPORT_LIMITS.uncompressedBytes)}, more than an import may be`);
}

async function openZip(file: UploadedFile, unpacked: { bytes: number }): Promise<{ file: yauzl.ZipFile; sources: CsvSource[] }> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(file.path, { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: true }, (error, zipfile) =>
      error ? reject(new ImportInputError(`${file.name}: not a readable zip (${error.message})`)) : resolve(zipfile!),
    ),
  );
  try {
    const entries = await listEntries(zip, file.name);
    const sources: CsvSource[] = [];
    for (const entry of entries) {
      const name = entry.fileName;
      if (name.endsWith("/") || NOISE.test(name)) continue;
      if (entry.isEncrypted()) throw new ImportInputError(`${file.name}: ${name} is encrypted`);
      const parsed = parseFileName(name);
      if ("error" in parsed) throw new ImportInputError(`${file.name}: ${parsed.error}`);
      countUnpacked(unpacked, entry.uncompressedSize, file.name);
      if (entry.uncompressedSize > 1024 * 1024 && entry.uncompressedSize > IMPORT_LIMITS.ratio * Math.max(1, entry.compressedSize)) {
        throw new ImportInputError(`${file.name}: ${name} unpacks to ${Math.round(entry.uncompressedSize / Math.max(1, entry.compressedSize))}× its packed size; no CSV export packs that tightly (a zip bomb?)`);
      }
      sources.push({
        name: `${file.name}/${name}`,
        table: parsed.table,
        days: { from: parsed.from, to: parsed.to },
        size: entry.uncompressedSize,
        open: () =>
          new Promise<Readable>((resolve, reject) =>
            zip.openReadStream(entry, (error, stream) => {
              const unreadable = (e: Error) => new ImportInputError(`${file.name}: ${name} cannot be read (${e.message})`);
              if (error) return reject(unreadable(error));
              // Data that is not what the directory declares (more bytes, bad deflate) is bad
              // input like a bad line, not a failure on our side to be tried again.
              const checked = new PassThrough();
              stream!.on("error", (e: Error) => checked.destroy(unreadable(e)));
              resolve(stream!.pipe(checked));
            }),
          ),
      });
    }
    return { file: zip, sources };
  } catch (error) {
    zip.close();
    throw error;
  }
}

function listEntries(zip: yauzl.ZipFile, name: string): Promise<yauzl.Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: yauzl.Entry[] = [];
    zip.on("entry", (entry: yauzl.Entry) => {
      if (entries.length >= IMPORT_LIMITS.files * 4) return reject(new ImportInputError(`${name}: holds more than ${IMPORT_LIMITS.files * 4} entries; an export has ten files`));
      entries.push(entry);
      zip.readEntry();
    });
    zip.on("end", () => resolve(entries));
    zip.on("error", (error: Error) =>
      reject(new ImportInputError(/relative path|absolute path|backslash/i.test(error.message) ? `${name}: an entry's name points outside the archive (${error.message})` : `${name}: not a readable zip (${error.message})`)),
    );
    zip.readEntry();
  });
}
