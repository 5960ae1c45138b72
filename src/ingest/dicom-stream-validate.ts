/**
 * Validation of a large DICOM Part 10 file as a stream (ING-1, ING-4): the same rules and refusal
 * codes as {@link validateDicom}, holding only the data set without its Pixel Data value.
 *
 * - The part before the top-level Pixel Data (7FE0,0010) is parsed by dicom-parser from a prefix of
 *   the file, grown (doubling) until it holds that element's header, and checked by the same code
 *   as a whole file (`summarize`: structure, nesting, UIDs, Image Pixel Module, limits).
 * - Native Pixel Data: its declared length must lie inside the file and cover rows × columns ×
 *   samples × bits allocated / 8 × frames (checked by `summarize`); its bytes are skipped.
 * - Encapsulated Pixel Data (PS3.5 §A.4): the Basic Offset Table item, each fragment item and the
 *   sequence delimiter are read as they stream past, each length against what remains of the file.
 * - Elements after the Pixel Data (PS3.5 §7.1: ascending tags, so only groups above 7FE0): Data Set
 *   Trailing Padding (FFFC,FFFC, PS3.10 §7.2) is skipped after its length is checked; anything else
 *   (a Digital Signatures Sequence, private groups) is held and parsed and checked like the header.
 *
 * A file cut anywhere is TRUNCATED; nothing is padded. Two cases cannot be streamed and are handed
 * back to the caller (which may validate the whole file in memory instead): the Deflated transfer
 * syntax (PS3.5 §A.5: one deflate stream from the first data set byte, no prefix of it parses), and
 * a file whose data set without Pixel Data is larger than `maxHeldBytes` (or that has no top-level
 * Pixel Data within that prefix, such as a large Encapsulated PDF or Float Pixel Data).
 *
 * No I/O here: the bytes come from any async iterable (the caller's decrypted staged object).
 */
import dicomParser from 'dicom-parser';
import type { ByteArrayParser, DataSet, Element } from 'dicom-parser';
import { checkStructure, refusalForWarnings } from './dicom-structure.ts';
import { IMPLICIT_LITTLE_ENDIAN } from './dicom-uid.ts';
import {
  checkMetaLength, defaultDicomLimits, type DicomLimits, type DicomSummary, hasPart10Prefix,
  parseUntilPixelData, refusalForParseFailure, summarize, validateDicom,
} from './dicom-validate.ts';
import { accept, IngestRefusal, type IngestResult } from './ingest-errors.ts';

export interface DicomStreamLimits extends DicomLimits {
  /** Most bytes held at once: the prefix parsed for the header plus the elements after Pixel Data. */
  maxHeldBytes: number;
}

export const defaultDicomStreamLimits: Readonly<DicomStreamLimits> = { ...defaultDicomLimits, maxHeldBytes: 16 * 1024 * 1024 };

/** The first prefix tried: real headers are a few kilobytes; 64 KiB is one object segment. */
const FIRST_PREFIX = 64 * 1024;
const UNDEFINED_LENGTH = 0xffffffff;
const EXPLICIT_BIG_ENDIAN = '1.2.840.10008.1.2.2';
const PIXEL_DATA = 0x7fe00010;
const TRAILING_PADDING = 0xfffcfffc;
const ITEM = 0xfffee000;
const SEQUENCE_DELIMITER = 0xfffee0dd;
/** The explicit VRs that dicom-parser reads with a reserved field and a 32-bit length (PS3.5 Table 7.1-1). */
const LONG_VRS = new Set(['OB', 'OD', 'OL', 'OW', 'SQ', 'OF', 'UC', 'UR', 'UT', 'UN']);

/** Why a file must be validated whole, if at all. */
export type Unstreamable = 'deflated' | 'header-too-large';

export type DicomStreamResult = IngestResult<DicomSummary> | { ok: false; refusal?: undefined; unstreamable: Unstreamable };

export interface DicomStreamOptions {
  limits?: Partial<DicomStreamLimits>;
  /** Called before more bytes are held (`bytes` more than before), e.g. to take them from a memory budget; may wait. */
  hold?: (bytes: number) => Promise<void>;
  /** The first prefix parsed (default 64 KiB); tests make it small to walk small files as streams. */
  firstPrefixBytes?: number;
}

const truncated = (detail: string): IngestResult<never> => ({ ok: false, refusal: new IngestRefusal('TRUNCATED', detail) });

/** Reads an async iterable of chunks as a byte stream: contiguous prefixes, exact reads and skips. */
class ChunkCursor {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private ended = false;
  /** Bytes consumed (taken or skipped) so far: the file offset of the next byte. */
  position = 0;

  constructor(private readonly iterator: AsyncIterator<Buffer>) {}

  /** Pulls chunks until `bytes` are pending or the stream ended; true when they are. */
  async ensure(bytes: number): Promise<boolean> {
    while (this.pendingBytes < bytes && !this.ended) {
      const next = await this.iterator.next();
      if (next.done === true) this.ended = true;
      else if (next.value.length > 0) {
        this.pending.push(next.value);
        this.pendingBytes += next.value.length;
      }
    }
    return this.pendingBytes >= bytes;
  }

  /** The next `bytes` (or fewer at the end) as one buffer, not consumed; pending chunks are merged into it. */
  async peek(bytes: number): Promise<Buffer> {
    await this.ensure(bytes);
    if (this.pending.length > 1) this.pending = [Buffer.concat(this.pending, this.pendingBytes)];
    const first = this.pending[0] ?? Buffer.alloc(0);
    return first.subarray(0, Math.min(bytes, first.length));
  }

  /** Consumes exactly `bytes` and returns them (a copy); undefined when the stream ends first. */
  async take(bytes: number): Promise<Buffer | undefined> {
    if (!(await this.ensure(bytes))) return undefined;
    const out = Buffer.allocUnsafe(bytes);
    let filled = 0;
    while (filled < bytes) {
      const head = this.pending[0] as Buffer;
      const used = Math.min(head.length, bytes - filled);
      head.copy(out, filled, 0, used);
      this.drop(used);
      filled += used;
    }
    return out;
  }

  /** Consumes `bytes` without keeping them; false when the stream ends first. */
  async skip(bytes: number): Promise<boolean> {
    let left = bytes;
    while (left > 0) {
      if (this.pendingBytes === 0 && !(await this.ensure(1))) return false;
      const used = Math.min((this.pending[0] as Buffer).length, left);
      this.drop(used);
      left -= used;
    }
    return true;
  }

  /** True when no byte is left. */
  async atEnd(): Promise<boolean> {
    return !(await this.ensure(1));
  }

  private drop(bytes: number): void {
    const head = this.pending[0] as Buffer;
    if (bytes === head.length) this.pending.shift();
    else this.pending[0] = head.subarray(bytes);
    this.pendingBytes -= bytes;
    this.position += bytes;
  }
}

/** How the data set after the meta information is encoded (PS3.5 §A.1–A.3). */
interface Encoding {
  explicitVr: boolean;
  littleEndian: boolean;
}

interface Header {
  summary: DicomSummary;
  encoding: Encoding;
  pixel: { dataOffset: number; length: number; encapsulated: boolean };
}

type HeaderAttempt = { status: 'complete'; header: Header } | { status: 'refused'; refusal: IngestRefusal } | { status: 'more' } | { status: 'deflated' };

/**
 * The header of a file from a prefix of it: complete once dicom-parser reached the top-level Pixel
 * Data header; 'more' when the prefix ends first (or breaks off inside an element, which a longer
 * prefix may complete: only a parse that reached Pixel Data is final).
 */
function readHeader(prefix: Buffer, fileSize: number, limits: DicomLimits): HeaderAttempt {
  // PS3.10 §7.1: preamble, "DICM", then the group 0002 meta information in Explicit VR Little Endian.
  if (!hasPart10Prefix(prefix)) return { status: 'refused', refusal: new IngestRefusal('NOT_DICOM_PART10', 'no DICM prefix') };
  const metaCheck = checkMetaLength(prefix);
  if (metaCheck !== undefined) return metaCheck.code === 'TRUNCATED' ? { status: 'more' } : { status: 'refused', refusal: metaCheck };
  const parsed = parseUntilPixelData(prefix);
  if (parsed === 'deflated') return { status: 'deflated' };
  if (!parsed.ok) return { status: 'more' };
  const dataSet = parsed.value;
  const pixel = dataSet.elements.x7fe00010;
  if (pixel === undefined || pixel.dataOffset > prefix.length) return { status: 'more' };
  let summary: IngestResult<DicomSummary>;
  try {
    summary = summarize(dataSet, limits, { fileSize });
  } catch (thrown) {
    summary = { ok: false, refusal: refusalForParseFailure(thrown) };
  }
  if (!summary.ok) return { status: 'refused', refusal: summary.refusal };
  const transferSyntax = summary.value.transferSyntaxUid;
  return {
    status: 'complete',
    header: {
      summary: summary.value,
      encoding: { explicitVr: transferSyntax !== IMPLICIT_LITTLE_ENDIAN, littleEndian: transferSyntax !== EXPLICIT_BIG_ENDIAN },
      pixel: { dataOffset: pixel.dataOffset, length: pixel.length, encapsulated: pixel.hadUndefinedLength === true },
    },
  };
}

function readTag(bytes: Buffer, offset: number, littleEndian: boolean): number {
  const group = littleEndian ? bytes.readUInt16LE(offset) : bytes.readUInt16BE(offset);
  const element = littleEndian ? bytes.readUInt16LE(offset + 2) : bytes.readUInt16BE(offset + 2);
  return group * 0x10000 + element;
}

/**
 * Encapsulated Pixel Data (PS3.5 §A.4), as dicom-parser's findEndOfEncapsulatedElement and
 * checkStructure read it from a whole file: a Basic Offset Table item first, then fragment items,
 * then the sequence delimiter; every item inside the file; at least one fragment. Always little
 * endian (the encapsulated transfer syntaxes are).
 */
async function walkFragments(cursor: ChunkCursor, fileSize: number): Promise<IngestResult<number>> {
  let items = 0;
  for (;;) {
    const head = await cursor.take(8);
    if (head === undefined) return truncated('pixel data element missing sequence delimiter tag xfffee0dd');
    const tag = readTag(head, 0, true);
    const length = head.readUInt32LE(4);
    if (tag === SEQUENCE_DELIMITER) {
      if (cursor.position + length > fileSize || !(await cursor.skip(length))) return truncated('sequence delimiter runs past the end of the file');
      // The first item is the Basic Offset Table; the frames are in the fragments after it.
      if (items < 2) return truncated('encapsulated pixel data without fragments');
      return accept(items - 1);
    }
    if (tag !== ITEM) {
      return { ok: false, refusal: new IngestRefusal('MALFORMED', items === 0 ? 'basic offset table not found' : 'unexpected tag while searching for end of pixel data element') };
    }
    // A Basic Offset Table holds 32-bit offsets (PS3.5 §A.4, Table A.4-1).
    if (items === 0 && length % 4 !== 0) return { ok: false, refusal: new IngestRefusal('MALFORMED', 'basic offset table length not a multiple of 4') };
    if (length === UNDEFINED_LENGTH || cursor.position + length > fileSize) return truncated('pixel data fragment runs past the end of the file');
    if (!(await cursor.skip(length))) return truncated('pixel data fragment runs past the end of the file');
    items += 1;
  }
}

/**
 * The top-level elements after Pixel Data, up to the end of the file. Each must have a higher tag
 * than the one before (PS3.5 §7.1): an identifying attribute repeated after the pixels would
 * otherwise be read by a whole-file parser and not by this one. Data Set Trailing Padding is
 * skipped; the others are collected (within `room`) and returned for parsing. An element of
 * undefined length (a sequence) takes the rest of the file with it: only its parse finds its end.
 */
async function collectTrailer(cursor: ChunkCursor, fileSize: number, encoding: Encoding, room: number, hold: (bytes: number) => Promise<void>): Promise<IngestResult<Buffer> | 'too-large'> {
  const parts: Buffer[] = [];
  let held = 0;
  let previous = PIXEL_DATA;
  const keep = async (part: Buffer): Promise<boolean> => {
    if (held + part.length > room) return false;
    await hold(part.length);
    parts.push(part);
    held += part.length;
    return true;
  };
  while (!(await cursor.atEnd())) {
    const start = await cursor.peek(encoding.explicitVr ? 12 : 8);
    // Fewer bytes than an element header: what dicom-parser reports as a read past the end.
    if (start.length < 8) return truncated('element header past the end of the file');
    const tag = readTag(start, 0, encoding.littleEndian);
    if (tag <= previous) return { ok: false, refusal: new IngestRefusal('MALFORMED', 'data elements after pixel data out of ascending order') };
    previous = tag;
    let headerLength = 8;
    let length: number;
    if (!encoding.explicitVr) {
      length = encoding.littleEndian ? start.readUInt32LE(4) : start.readUInt32BE(4);
    } else if (LONG_VRS.has(start.toString('latin1', 4, 6))) {
      if (start.length < 12) return truncated('element header past the end of the file');
      headerLength = 12;
      length = encoding.littleEndian ? start.readUInt32LE(8) : start.readUInt32BE(8);
    } else {
      length = encoding.littleEndian ? start.readUInt16LE(6) : start.readUInt16BE(6);
    }
    if (length === UNDEFINED_LENGTH) {
      if (tag === TRAILING_PADDING) return { ok: false, refusal: new IngestRefusal('MALFORMED', 'undefined length on non-sequence element xfffcfffc') };
      const rest = fileSize - cursor.position;
      if (held + rest > room) return 'too-large';
      await hold(rest);
      const tail = await cursor.take(rest);
      if (tail === undefined) return truncated('the file ends before its size');
      parts.push(tail);
      break;
    }
    if (cursor.position + headerLength + length > fileSize) return truncated(`element ${tag.toString(16)} runs past the end of the file`);
    if (tag === TRAILING_PADDING) {
      // PS3.10 §7.2: padding of no meaning, possibly large; its bytes are not kept.
      if (!(await cursor.skip(headerLength + length))) return truncated('the file ends before its size');
      continue;
    }
    const whole = await cursor.take(headerLength + length);
    if (whole === undefined) return truncated('the file ends before its size');
    if (!(await keep(whole))) return 'too-large';
  }
  return accept(Buffer.concat(parts));
}

/** Parses the elements after Pixel Data as a data set and checks them as `summarize` checks the header's. */
function checkTrailer(trailer: Buffer, encoding: Encoding, limits: DicomLimits, encapsulatedAllowed: boolean): IngestRefusal | undefined {
  const parser: ByteArrayParser = encoding.littleEndian ? dicomParser.littleEndianByteArrayParser : dicomParser.bigEndianByteArrayParser;
  // dicom-parser's DataSet class is exported at run time but only typed as an interface.
  const DataSetClass = (dicomParser as unknown as { DataSet: new (parser: ByteArrayParser, bytes: Uint8Array, elements: Record<string, Element>) => DataSet }).DataSet;
  const dataSet = new DataSetClass(parser, trailer, {});
  const stream = new dicomParser.ByteStream(parser, trailer, 0);
  dataSet.warnings = stream.warnings;
  try {
    if (encoding.explicitVr) dicomParser.parseDicomDataSetExplicit(dataSet, stream, trailer.length);
    else dicomParser.parseDicomDataSetImplicit(dataSet, stream, trailer.length);
  } catch (thrown) {
    return refusalForParseFailure(thrown);
  }
  return refusalForWarnings(dataSet.warnings) ?? checkStructure(dataSet, { implicitVr: !encoding.explicitVr, encapsulatedAllowed, maxSequenceDepth: limits.maxSequenceDepth });
}

/**
 * Validates a DICOM Part 10 file of `fileSize` bytes read from `source`, holding at most
 * `maxHeldBytes` of it. Reads the source to its end when the file is accepted (every byte is
 * accounted for) and stops early on a refusal.
 */
export async function validateDicomStream(source: AsyncIterable<Buffer>, fileSize: number, options: DicomStreamOptions = {}): Promise<DicomStreamResult> {
  const limits: DicomStreamLimits = { ...defaultDicomStreamLimits, ...options.limits };
  const hold = options.hold ?? (() => Promise.resolve());
  const iterator = source[Symbol.asyncIterator]();
  const cursor = new ChunkCursor(iterator);
  let held = 0;
  const holdUpTo = async (total: number): Promise<void> => {
    if (total <= held) return;
    await hold(total - held);
    held = total;
  };
  try {
    let header: Header | undefined;
    for (let want = Math.min(options.firstPrefixBytes ?? FIRST_PREFIX, fileSize, limits.maxHeldBytes); header === undefined; want = Math.min(want * 2, fileSize, limits.maxHeldBytes)) {
      // Twice the prefix: merging the chunks that arrived into one buffer copies them once.
      await holdUpTo(2 * want);
      const prefix = await cursor.peek(want);
      if (prefix.length < want) return truncated('the staged object is shorter than what was received');
      // The whole file fits within what may be held: the whole-file validator decides, as for small files.
      if (want === fileSize) return validateDicom(prefix, limits);
      const attempt = readHeader(prefix, fileSize, limits);
      switch (attempt.status) {
        case 'complete':
          header = attempt.header;
          break;
        case 'refused':
          return { ok: false, refusal: attempt.refusal };
        case 'deflated':
          return { ok: false, unstreamable: 'deflated' };
        case 'more':
          if (want >= limits.maxHeldBytes) return { ok: false, unstreamable: 'header-too-large' };
          break;
        default: {
          const unexpected: never = attempt;
          throw new Error(`unknown header attempt ${String(unexpected)}`);
        }
      }
    }
    const { pixel, encoding, summary } = header;
    if (!(await cursor.skip(pixel.dataOffset))) return truncated('the staged object is shorter than what was received');
    if (pixel.encapsulated) {
      const fragments = await walkFragments(cursor, fileSize);
      if (!fragments.ok) return fragments;
    } else if (!(await cursor.skip(pixel.length))) {
      // summarize() checked the declared length against the file's size; a shorter stream is a cut object.
      return truncated('the staged object is shorter than what was received');
    }
    const headerBytes = pixel.dataOffset;
    const trailer = await collectTrailer(cursor, fileSize, encoding, Math.max(0, limits.maxHeldBytes - headerBytes), hold);
    if (trailer === 'too-large') return { ok: false, unstreamable: 'header-too-large' };
    if (!trailer.ok) return trailer;
    if (trailer.value.length > 0) {
      const refusal = checkTrailer(trailer.value, encoding, limits, summary.pixelData === 'encapsulated');
      if (refusal !== undefined) return { ok: false, refusal };
    }
    return accept(summary);
  } finally {
    // Stops the source (and whatever it reads from) when the walk ended early.
    await iterator.return?.();
  }
}

