/**
 * Reading and writing DICOM Part 10 with dcmjs at the level of its raw dataset dictionary (DESIGN.md:
 * dcmjs's naturalize round trip drops private tags, so we edit `dict` directly). dcmjs ships no
 * types; the few entry points used here are typed locally and loaded through `createRequire`, so no
 * ambient module declaration is added to the project.
 *
 * Two repairs happen around dcmjs, both checked against dicom-parser's view of the same bytes:
 * - A sequence encoded as UN in an explicit-VR data set holds Implicit VR Little Endian items
 *   (PS3.5 §6.2.2). dcmjs looks the tag up, finds SQ and parses the items as explicit VR, which reads
 *   garbage lengths (a 2 kB file became a 775 MB value). We relabel such elements OB in a copy of the
 *   bytes (same header layout, no length changes), let dcmjs read them as bytes, and parse the items
 *   ourselves as implicit VR.
 * - Code extensions (ISO 2022, several Specific Character Sets) make dcmjs throw; it can read them
 *   only in its `ignoreErrors` mode, which returns a partial data set on any later error. We use that
 *   mode only for this case and then require the same top-level elements as dicom-parser saw.
 */
import { createRequire } from 'node:module';
import { inflateRawSync } from 'node:zlib';
import dicomParser from 'dicom-parser';
import type { DataSet } from 'dicom-parser';

/** One element of a dcmjs raw dictionary. `Value` holds strings, numbers, PN objects, ArrayBuffers or item dictionaries. */
export interface RawElement {
  vr: string;
  Value?: unknown[];
  _rawValue?: unknown;
}

/** A raw data set: keys are 8 upper-case hex digits (group then element). */
export type RawDataset = Record<string, RawElement>;

export interface RawDicom {
  meta: RawDataset;
  dict: RawDataset;
}

interface DcmjsReadStream {
  readonly size: number;
}

interface DcmjsModule {
  log: { setLevel(level: string): void; getLogger(name: string): { setLevel(level: string): void } };
  data: {
    DicomMessage: {
      readFile(buffer: ArrayBuffer, options?: { ignoreErrors?: boolean; noCopy?: boolean }): { meta: RawDataset; dict: RawDataset };
      _read(stream: DcmjsReadStream, syntax: string, options?: { ignoreErrors?: boolean }): RawDataset;
    };
    DicomDict: new (meta: RawDataset) => { dict: RawDataset; write(options?: { allowInvalidVRLength?: boolean }): ArrayBuffer };
    ReadBufferStream: new (buffer: ArrayBuffer, littleEndian?: boolean) => DcmjsReadStream;
    ValueRepresentation: { createByTypeString(vr: string): { readBytes(stream: DcmjsReadStream, length: number, syntax: string): RawDataset[] } };
    DicomMetaDictionary: { dictionary: Record<string, { vr: string; name: string } | undefined> };
  };
}

const dcmjs = createRequire(import.meta.url)('dcmjs') as DcmjsModule;
// dcmjs logs every oddity (unknown VRs of implicit files, private tags) on the console.
dcmjs.log.setLevel('silent');
dcmjs.log.getLogger('validation.dcmjs').setLevel('silent');

export const IMPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2';
export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
export const DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1.99';

/** Thrown when a file cannot be read into a data set we can vouch for; the message is safe to show (no values). */
export class DicomReadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DicomReadError';
  }
}

/** The VR of a public tag in dcmjs's data dictionary ('xs', 'ox' and 'lt' mark ambiguous VRs), or undefined. */
export function dictionaryVr(key: string): string | undefined {
  return dcmjs.data.DicomMetaDictionary.dictionary[`(${key.slice(0, 4)},${key.slice(4, 8)})`]?.vr;
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const copy = new ArrayBuffer(bytes.length);
  new Uint8Array(copy).set(bytes);
  return copy;
}

/** dicom-parser keys ("x0008103e") to ours ("0008103E"). */
const keyOf = (tag: string): string => tag.slice(1).toUpperCase();

interface Relabel {
  /** Offset of the element's VR bytes. */
  vrOffset: number;
}

/** UN elements whose dictionary VR is SQ, at any depth of explicit-VR sequences (PS3.5 §6.2.2). */
function findUnSequences(dataSet: DataSet, out: Relabel[], depth = 0): void {
  if (depth > 32) throw new DicomReadError('sequences nested too deeply');
  for (const [tag, element] of Object.entries(dataSet.elements)) {
    if (element.vr === 'UN' && dictionaryVr(keyOf(tag)) === 'SQ') {
      if (element.hadUndefinedLength === true) throw new DicomReadError(`sequence ${keyOf(tag)} encoded as UN with undefined length`);
      out.push({ vrOffset: element.dataOffset - 8 });
    }
    for (const item of element.items ?? []) if (item.dataSet) findUnSequences(item.dataSet, out, depth + 1);
  }
}

function parseWithDicomParser(bytes: Buffer): DataSet {
  const inflater = (array: Uint8Array, position: number): Uint8Array => {
    const inflated = inflateRawSync(array.subarray(position), { maxOutputLength: 512 * 1024 * 1024 });
    const full = new Uint8Array(position + inflated.length);
    full.set(array.subarray(0, position), 0);
    full.set(inflated, position);
    return full;
  };
  try {
    return dicomParser.parseDicom(bytes, { inflater });
  } catch {
    throw new DicomReadError('not a readable DICOM Part 10 file');
  }
}

/** Items of an OB value that was a UN-encoded sequence, parsed as Implicit VR Little Endian. */
function itemsOfUnSequence(value: unknown): RawDataset[] {
  const buffer = Array.isArray(value) ? (value[0] as unknown) : undefined;
  if (!(buffer instanceof ArrayBuffer)) throw new DicomReadError('UN-encoded sequence without bytes');
  if (buffer.byteLength === 0) return [];
  const stream = new dcmjs.data.ReadBufferStream(buffer, true);
  try {
    return dcmjs.data.ValueRepresentation.createByTypeString('SQ').readBytes(stream, buffer.byteLength, IMPLICIT_VR_LITTLE_ENDIAN);
  } catch {
    throw new DicomReadError('UN-encoded sequence that is not valid implicit VR');
  }
}

/** Replaces, at any depth, the OB stand-ins of UN-encoded sequences by real SQ elements. */
function restoreUnSequences(dict: RawDataset, depth = 0): void {
  for (const [key, element] of Object.entries(dict)) {
    if (element.vr === 'OB' && dictionaryVr(key) === 'SQ') {
      dict[key] = { vr: 'SQ', Value: itemsOfUnSequence(element.Value) };
    }
    const items = dict[key]?.vr === 'SQ' ? dict[key].Value : undefined;
    for (const item of items ?? []) restoreUnSequences(item as RawDataset, depth + 1);
  }
}

/**
 * Reads a whole Part 10 file into dcmjs's raw dictionaries. Throws {@link DicomReadError} for what
 * it cannot read completely.
 */
export function readRawDicom(bytes: Buffer): RawDicom {
  const parsed = parseWithDicomParser(bytes);
  const transferSyntax = parsed.string('x00020010');
  const relabels: Relabel[] = [];
  const explicit = transferSyntax !== undefined && transferSyntax !== IMPLICIT_VR_LITTLE_ENDIAN;
  if (explicit) findUnSequences(parsed, relabels);
  if (relabels.length > 0 && transferSyntax === DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN) throw new DicomReadError('UN-encoded sequence in a deflated data set');
  const copy = new Uint8Array(bytes);
  for (const { vrOffset } of relabels) {
    copy[vrOffset] = 0x4f; // 'O'
    copy[vrOffset + 1] = 0x42; // 'B'
  }

  let raw: RawDicom;
  let lenient = false;
  try {
    raw = dcmjs.data.DicomMessage.readFile(toArrayBuffer(copy));
  } catch (thrown) {
    const message = thrown instanceof Error ? thrown.message : String(thrown);
    if (!/multiple character sets/i.test(message)) throw new DicomReadError('dcmjs cannot read this data set');
    lenient = true;
    raw = dcmjs.data.DicomMessage.readFile(toArrayBuffer(copy), { ignoreErrors: true });
  }
  if (relabels.length > 0) restoreUnSequences(raw.dict);

  // Every top-level element dicom-parser saw must be in dcmjs's dictionary too: nothing silently dropped.
  // (Elements before the end of the meta information are not the data set's: with the deflated
  // transfer syntax dicom-parser also lists the preamble's bytes.)
  const metaEnd = Math.max(0, ...Object.entries(parsed.elements).filter(([tag]) => tag.startsWith('x0002')).map(([, e]) => e.dataOffset + e.length));
  const expected = Object.entries(parsed.elements).filter(([tag, e]) => !tag.startsWith('x0002') && e.dataOffset >= metaEnd).map(([tag]) => keyOf(tag));
  const missing = expected.filter((key) => raw.dict[key] === undefined);
  if (missing.length > 0) throw new DicomReadError(`${missing.length} element(s) could not be read${lenient ? ' (character set code extensions)' : ''}`);
  return raw;
}

/** Writes a Part 10 file: zero preamble, "DICM", the given meta information, then the data set. */
export function writeRawDicom(raw: RawDicom): Buffer {
  const file = new dcmjs.data.DicomDict(raw.meta);
  file.dict = raw.dict;
  // allowInvalidVRLength: values we keep must be written as they came (e.g. ACR-NEMA dates
  // "1997.04.24" in a DA), rather than refused; every value we write ourselves fits its VR.
  return Buffer.from(file.write({ allowInvalidVRLength: true }));
}
