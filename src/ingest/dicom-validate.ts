/**
 * Validation of an uploaded DICOM Part 10 file (ING-1, ING-4) with dicom-parser, which is strict:
 * it throws when explicit-VR data runs past the end of the file. On top of it we require the file
 * meta information (PS3.10 §7.1), bound sequence depth, element lengths, frames and pixel bytes,
 * check the UIDs (PS3.5 §9.1), and refuse native pixel data shorter than its declared size (some
 * parsers silently zero-pad; we never do). Returns the raw attribute values for indexing; the
 * caller encrypts the PHI among them.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { inflateRawSync } from 'node:zlib';
import dicomParser from 'dicom-parser';
import type { DataSet } from 'dicom-parser';
import { DicomReader as Reader } from './dicom-reader.ts';
import { IMPLICIT_LITTLE_ENDIAN, isValidUid, pixelEncodingOf } from './dicom-uid.ts';
import { checkStructure, refusalForWarnings } from './dicom-structure.ts';
import { accept, describeThrown, type IngestRefusalCode, type IngestResult, IngestRefusal, refuse } from './ingest-errors.ts';
import { checkPixelData, type PixelSummary } from './dicom-pixels.ts';

export interface DicomLimits {
  /** Deepest sequence nesting accepted; the top-level data set is depth 0. */
  maxSequenceDepth: number;
  /** Most frames (0028,0008) accepted. */
  maxFrames: number;
  /** Largest decoded pixel size, rows × columns × frames × samples × bits allocated / 8, in bytes. */
  maxPixelBytes: number;
  /** Largest inflated data set for the Deflated transfer syntax (PS3.5 §A.5), in bytes. */
  maxInflatedBytes: number;
}

export const defaultDicomLimits: Readonly<DicomLimits> = {
  maxSequenceDepth: 16,
  maxFrames: 10_000,
  maxPixelBytes: 2 ** 31,
  maxInflatedBytes: 512 * 1024 * 1024,
};

/** What the index needs from an accepted instance: raw values (PHI included; encrypt before storing). */
export interface DicomSummary extends PixelSummary {
  transferSyntaxUid: string;
  sopClassUid: string;
  sopInstanceUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  specificCharacterSet?: string;
  patientId?: string;
  patientName?: string;
  patientBirthDate?: string;
  patientSex?: string;
  modality?: string;
  studyDate?: string;
  studyTime?: string;
  studyId?: string;
  accessionNumber?: string;
  studyDescription?: string;
  seriesDescription?: string;
  seriesNumber?: number;
  instanceNumber?: number;
  /** Burned In Annotation (0028,0301): true for YES, false for NO, undefined when absent or other. */
  burnedInAnnotation?: boolean;
}

const PREAMBLE_BYTES = 128;
const PART10_PREFIX_END = PREAMBLE_BYTES + 4;

/** The DICM prefix after the 128-byte preamble (PS3.10 §7.1). */
export function hasPart10Prefix(bytes: Buffer): boolean {
  return bytes.length >= PART10_PREFIX_END && bytes.toString('latin1', PREAMBLE_BYTES, PART10_PREFIX_END) === 'DICM';
}

/**
 * The file meta information must start with group 0002 and, when it opens with (0002,0000) File
 * Meta Information Group Length (UL, Type 1 in PS3.10 §7.1), lie wholly inside the file: checked
 * before parsing, so a file cut inside its meta information is TRUNCATED rather than "no transfer
 * syntax".
 */
export function checkMetaLength(bytes: Buffer): IngestRefusal | undefined {
  if (bytes.length < PART10_PREFIX_END + 8) return new IngestRefusal('TRUNCATED', 'file ends inside the file meta information');
  if (bytes.readUInt16LE(PART10_PREFIX_END) !== 0x0002) return new IngestRefusal('NOT_DICOM_PART10', 'file meta information does not start with group 0002');
  if (bytes.readUInt16LE(PART10_PREFIX_END + 2) !== 0x0000 || bytes.toString('latin1', PART10_PREFIX_END + 4, PART10_PREFIX_END + 6) !== 'UL') return undefined;
  if (bytes.length < PART10_PREFIX_END + 12) return new IngestRefusal('TRUNCATED', 'file ends inside the file meta information');
  const groupLength = bytes.readUInt32LE(PART10_PREFIX_END + 8);
  if (PART10_PREFIX_END + 12 + groupLength > bytes.length) return new IngestRefusal('TRUNCATED', 'file ends inside the file meta information');
  return undefined;
}

/** Maps what dicom-parser throws (strings, Errors, or `{ exception, dataSet }`) to a refusal. */
export function refusalForParseFailure(thrown: unknown): IngestRefusal {
  const inner: unknown = typeof thrown === 'object' && thrown !== null && 'exception' in thrown ? thrown.exception : thrown;
  // Deep nesting exhausts dicom-parser's recursion before our own depth walk can run.
  if (inner instanceof RangeError && /call stack/i.test(inner.message)) return new IngestRefusal('TOO_DEEP', 'parser recursion exhausted');
  const text = typeof inner === 'string' ? inner : inner instanceof Error ? inner.message : '';
  let code: IngestRefusalCode = 'MALFORMED';
  if (/DICM prefix not found|0002,0010/.test(text)) code = 'NOT_DICOM_PART10';
  // Reads past the end, items longer than what is left ("maxPosition"), streams created at the end.
  else if (/past end of buffer|buffer overrun|maxP ?osition|cannot be greater than or equal to|\beof\b/i.test(text)) code = 'TRUNCATED';
  return new IngestRefusal(code, describeThrown(inner));
}

type DicomIdentifiers = Pick<DicomSummary, 'transferSyntaxUid' | 'sopClassUid' | 'sopInstanceUid' | 'studyInstanceUid' | 'seriesInstanceUid'>;

/** The unique identifiers every stored instance needs, checked for presence, syntax and agreement. */
function readIdentifiers(reader: Reader): IngestResult<DicomIdentifiers> {
  const transferSyntaxUid = reader.string('x00020010');
  const metaSopInstanceUid = reader.string('x00020003');
  const metaSopClassUid = reader.string('x00020002');
  if (transferSyntaxUid === undefined) return refuse('NOT_DICOM_PART10', 'transfer syntax (0002,0010) missing');
  const ids = {
    transferSyntaxUid,
    sopClassUid: reader.string('x00080016'),
    sopInstanceUid: reader.string('x00080018'),
    studyInstanceUid: reader.string('x0020000d'),
    seriesInstanceUid: reader.string('x0020000e'),
  };
  const missing = Object.entries(ids).find(([, value]) => value === undefined);
  if (missing !== undefined) return refuse('MISSING_UID', `${missing[0]} missing`);
  if (metaSopInstanceUid === undefined) return refuse('MISSING_UID', 'media storage SOP instance UID (0002,0003) missing');
  const all = { ...ids, metaSopInstanceUid, metaSopClassUid } as Record<string, string | undefined>;
  const invalid = Object.entries(all).find(([, value]) => value !== undefined && !isValidUid(value));
  if (invalid !== undefined) return refuse('INVALID_UID', `${invalid[0]} is not a valid UID`);
  // PS3.10 §7.1: the media storage SOP instance and class UIDs repeat (0008,0018) and (0008,0016).
  if (metaSopInstanceUid !== ids.sopInstanceUid) return refuse('UID_MISMATCH', '(0002,0003) differs from (0008,0018)');
  if (metaSopClassUid !== undefined && metaSopClassUid !== ids.sopClassUid) return refuse('UID_MISMATCH', '(0002,0002) differs from (0008,0016)');
  return accept(ids as DicomIdentifiers);
}

function burnedIn(value: string | undefined): boolean | undefined {
  if (value === 'YES') return true;
  if (value === 'NO') return false;
  return undefined;
}

/** Parses with a size-capped inflater for the Deflated transfer syntax (dicom-parser's own has no cap). */
function parse(bytes: Buffer, limits: DicomLimits): IngestResult<DataSet> {
  let inflateFailure: IngestRefusal | undefined;
  const inflater = (array: Uint8Array, position: number): Uint8Array => {
    let inflated: Buffer;
    try {
      inflated = inflateRawSync(array.subarray(position), { maxOutputLength: limits.maxInflatedBytes });
    } catch (thrown) {
      const code = (thrown as NodeJS.ErrnoException).code;
      inflateFailure = new IngestRefusal(code === 'ERR_BUFFER_TOO_LARGE' ? 'DECOMPRESSION_BOMB' : code === 'Z_BUF_ERROR' ? 'TRUNCATED' : 'MALFORMED', describeThrown(thrown));
      throw thrown;
    }
    const full = Buffer.allocUnsafe(position + inflated.length);
    full.set(array.subarray(0, position), 0);
    full.set(inflated, position);
    return full;
  };
  try {
    return accept(dicomParser.parseDicom(bytes, { inflater }));
  } catch (thrown) {
    return { ok: false, refusal: inflateFailure ?? refusalForParseFailure(thrown) };
  }
}

/**
 * dicom-parser over the first bytes of a file, stopping at the header of the top-level Pixel Data
 * (7FE0,0010) (its `untilTag` option: the element is recorded with its offset and declared length,
 * its value not read). Nested Pixel Data (an Icon Image Sequence, PS3.3 §C.7.6.1.1.6) does not stop
 * it: dicom-parser passes the option to the top level only. 'deflated' for PS3.5 §A.5, whose data
 * set no prefix can parse.
 */
export function parseUntilPixelData(prefix: Buffer): IngestResult<DataSet> | 'deflated' {
  let deflated = false;
  const inflater = (): Uint8Array => {
    deflated = true;
    throw new Error('deflated data set');
  };
  try {
    return accept(dicomParser.parseDicom(prefix, { untilTag: 'x7fe00010', inflater }));
  } catch (thrown) {
    if (deflated) return 'deflated';
    return { ok: false, refusal: refusalForParseFailure(thrown) };
  }
}

/**
 * Validates a whole DICOM Part 10 file in memory and returns its identifying attributes. Limits
 * not given take {@link defaultDicomLimits}.
 */
export function validateDicom(bytes: Buffer, limitsIn: Partial<DicomLimits> = {}): IngestResult<DicomSummary> {
  const limits: DicomLimits = { ...defaultDicomLimits, ...limitsIn };
  // PS3.10 §7.1: preamble, "DICM", then the group 0002 meta information in Explicit VR Little Endian.
  if (!hasPart10Prefix(bytes)) return refuse('NOT_DICOM_PART10', 'no DICM prefix');
  const metaCheck = checkMetaLength(bytes);
  if (metaCheck !== undefined) return { ok: false, refusal: metaCheck };

  const parsed = parse(bytes, limits);
  if (!parsed.ok) return parsed;
  try {
    return summarize(parsed.value, limits);
  } catch (thrown) {
    // A safety net: every read below is bounds-checked first, but a parser string thrown from a
    // value read must still become a refusal, never escape.
    return { ok: false, refusal: refusalForParseFailure(thrown) };
  }
}

/** The transfer syntax, read only once its element is known to lie inside the data. */
function transferSyntaxOf(dataSet: DataSet): IngestResult<string> {
  const element = dataSet.elements.x00020010;
  if (element === undefined) return refuse('NOT_DICOM_PART10', 'transfer syntax (0002,0010) missing');
  if (element.dataOffset + element.length > dataSet.byteArray.length) return refuse('TRUNCATED', 'transfer syntax runs past the end of the file');
  if (element.length > 64) return refuse('INVALID_UID', 'transfer syntax UID longer than 64 characters');
  const uid = dataSet.string('x00020010');
  if (uid === undefined || uid === '') return refuse('NOT_DICOM_PART10', 'transfer syntax (0002,0010) empty');
  if (!isValidUid(uid)) return refuse('INVALID_UID', 'transfer syntax UID is not valid');
  return accept(uid);
}

/**
 * Checks structure first (so every later read is inside the data), then identifiers and pixels.
 * `streamed`: the data set was parsed up to the top-level Pixel Data header only
 * ({@link parseUntilPixelData}); that element is checked against the file's size, and its value
 * (fragments included) by the caller as it streams past.
 */
export function summarize(dataSet: DataSet, limits: DicomLimits, streamed?: { fileSize: number }): IngestResult<DicomSummary> {
  const warned = refusalForWarnings(dataSet.warnings);
  if (warned !== undefined) return { ok: false, refusal: warned };

  const transferSyntax = transferSyntaxOf(dataSet);
  if (!transferSyntax.ok) return transferSyntax;
  const encoding = pixelEncodingOf(transferSyntax.value);
  if (encoding === undefined) return refuse('UNSUPPORTED_TYPE', 'private transfer syntax');

  const structure = checkStructure(dataSet, {
    implicitVr: transferSyntax.value === IMPLICIT_LITTLE_ENDIAN,
    encapsulatedAllowed: encoding === 'encapsulated',
    maxSequenceDepth: limits.maxSequenceDepth,
    ...(streamed === undefined ? {} : { streamedPixelData: streamed }),
  });
  if (structure !== undefined) return { ok: false, refusal: structure };

  const pixelElement = dataSet.elements.x7fe00010;
  // Not walked by dicom-parser (it stopped at the header): an undefined length is what marks
  // encapsulated Pixel Data (PS3.5 §A.4), as findEndOfEncapsulatedElement would have set it.
  if (streamed !== undefined && pixelElement !== undefined) pixelElement.encapsulatedPixelData = pixelElement.hadUndefinedLength === true;
  const reader = new Reader(dataSet);
  const ids = readIdentifiers(reader);
  if (!ids.ok) return ids;
  const pixels = checkPixelData(dataSet, reader, ids.value.sopClassUid, encoding, limits);
  if (!pixels.ok) return pixels;

  return accept({
    ...ids.value,
    ...pixels.value,
    specificCharacterSet: reader.string('x00080005'),
    patientId: reader.text('x00100020'),
    patientName: reader.text('x00100010'),
    patientBirthDate: reader.string('x00100030'),
    patientSex: reader.string('x00100040'),
    modality: reader.string('x00080060'),
    studyDate: reader.string('x00080020'),
    studyTime: reader.string('x00080030'),
    studyId: reader.text('x00200010'),
    accessionNumber: reader.text('x00080050'),
    studyDescription: reader.text('x00081030'),
    seriesDescription: reader.text('x0008103e'),
    seriesNumber: reader.integerString('x00200011'),
    instanceNumber: reader.integerString('x00200013'),
    burnedInAnnotation: burnedIn(reader.string('x00280301')),
  });
}

/**
 * A copy of a Part 10 file with the 128-byte preamble set to zero, and nothing else changed.
 * The preamble is free for application use (PS3.10 §7.1), which lets a file be both valid DICOM
 * and, for example, a Windows executable (CVE-2019-11687); zeros are what PS3.10 recommends when
 * the preamble is unused. Throws a RangeError for bytes without the DICM prefix (validate first).
 */
export function zeroPreamble(bytes: Buffer): Buffer {
  if (!hasPart10Prefix(bytes)) throw new RangeError('zeroPreamble needs a DICOM Part 10 file');
  const copy = Buffer.from(bytes);
  copy.fill(0, 0, PREAMBLE_BYTES);
  return copy;
}

/**
 * The streaming form of {@link zeroPreamble}: a Transform that sets the first 128 bytes passing
 * through it to zero and passes every other byte unchanged. Use it on the way to storage after
 * the type was sniffed as DICOM (so the stored object's hash is of the zeroed bytes).
 */
export function createPreambleZeroer(): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
      if (seen >= PREAMBLE_BYTES) {
        seen += chunk.length;
        callback(null, chunk);
        return;
      }
      const copy = Buffer.from(chunk);
      copy.fill(0, 0, Math.min(copy.length, PREAMBLE_BYTES - seen));
      seen += chunk.length;
      callback(null, copy);
    },
  });
}
