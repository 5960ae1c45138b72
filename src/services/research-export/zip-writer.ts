import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { crc32 } from 'node:zlib';

/** Classic ZIP limits (no ZIP64): 65,535 entries, 4 GiB offsets and sizes (APPNOTE.TXT §4.4). */
export const ZIP_MAX_ENTRIES = 0xffff;
export const ZIP_MAX_BYTES = 0xffffffff;

export class ZipLimitError extends Error {}

/** MS-DOS date and time of the entries (APPNOTE.TXT §4.4.6), from a UTC instant. */
function dosDateTime(at: Date): { date: number; time: number } {
  const year = Math.min(Math.max(at.getUTCFullYear(), 1980), 2107);
  return {
    date: ((year - 1980) << 9) | ((at.getUTCMonth() + 1) << 5) | at.getUTCDate(),
    time: (at.getUTCHours() << 11) | (at.getUTCMinutes() << 5) | Math.floor(at.getUTCSeconds() / 2),
  };
}

const UTF8_NAMES = 0x0800; // general purpose bit 11: names are UTF-8 (APPNOTE.TXT Appendix D)
const STORED = 0;
const VERSION = 20; // 2.0: the lowest version that readers accept for stored entries with folders

/**
 * A streaming ZIP writer for whole entries held in memory (APPNOTE.TXT 6.3): each entry is stored
 * (method 0, no compression — DICOM pixel data gains little and costs CPU), its CRC-32 and sizes
 * are known before its local header, so no data descriptors are needed; the central directory
 * follows the last entry. Output respects the destination's backpressure.
 */
export class ZipWriter {
  private offset = 0;
  private readonly central: Buffer[] = [];
  private readonly stamp: { date: number; time: number };

  constructor(private readonly out: Writable, modified: Date) {
    this.stamp = dosDateTime(modified);
  }

  get bytesWritten(): number {
    return this.offset;
  }

  private async write(chunk: Buffer): Promise<void> {
    this.offset += chunk.length;
    if (!this.out.write(chunk)) await once(this.out, 'drain');
  }

  async add(name: string, data: Buffer): Promise<void> {
    const nameBytes = Buffer.from(name, 'utf8');
    if (nameBytes.length === 0 || nameBytes.length > 0xffff || name.startsWith('/') || name.split('/').includes('..')) throw new ZipLimitError('bad entry name');
    if (this.central.length >= ZIP_MAX_ENTRIES) throw new ZipLimitError('too many entries');
    if (this.offset + 30 + nameBytes.length + data.length > ZIP_MAX_BYTES) throw new ZipLimitError('archive over 4 GiB');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); // local file header signature
    local.writeUInt16LE(VERSION, 4);
    local.writeUInt16LE(UTF8_NAMES, 6);
    local.writeUInt16LE(STORED, 8);
    local.writeUInt16LE(this.stamp.time, 10);
    local.writeUInt16LE(this.stamp.date, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18); // compressed size
    local.writeUInt32LE(data.length, 22); // uncompressed size
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28); // extra field length
    const headerOffset = this.offset;
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0); // central directory header signature
    entry.writeUInt16LE((3 << 8) | VERSION, 4); // made by: UNIX, so the external attributes are a mode
    entry.writeUInt16LE(VERSION, 6);
    entry.writeUInt16LE(UTF8_NAMES, 8);
    entry.writeUInt16LE(STORED, 10);
    entry.writeUInt16LE(this.stamp.time, 12);
    entry.writeUInt16LE(this.stamp.date, 14);
    entry.writeUInt32LE(crc, 16);
    entry.writeUInt32LE(data.length, 20);
    entry.writeUInt32LE(data.length, 24);
    entry.writeUInt16LE(nameBytes.length, 28);
    // extra, comment, disk number, internal attributes: 0
    entry.writeUInt32LE((0o100600 << 16) >>> 0, 38); // a regular file readable by its owner only
    entry.writeUInt32LE(headerOffset, 42);
    this.central.push(Buffer.concat([entry, nameBytes]));
    await this.write(Buffer.concat([local, nameBytes]));
    await this.write(data);
  }

  /** Writes the central directory and its end record, ends the stream; returns the archive's size. */
  async finish(): Promise<number> {
    const start = this.offset;
    for (const entry of this.central) await this.write(entry);
    const size = this.offset - start;
    if (this.offset + 22 > ZIP_MAX_BYTES) throw new ZipLimitError('archive over 4 GiB');
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0); // end of central directory signature
    end.writeUInt16LE(this.central.length, 8);
    end.writeUInt16LE(this.central.length, 10);
    end.writeUInt32LE(size, 12);
    end.writeUInt32LE(start, 16);
    await this.write(end);
    this.out.end();
    return this.offset;
  }
}
