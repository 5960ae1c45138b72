import { createRequire } from 'node:module';

/**
 * The DICOM JSON Model (PS3.18 Annex F.2): `{ "GGGGEEEE": { "vr": "..", "Value": [...] } }`, keys in
 * ascending tag order. Builders for search answers, and the conversion of a stored instance into its
 * metadata (WADO-RS metadata, PS3.18 §10.4).
 */

export type DicomJsonValue = string | number | { Alphabetic: string } | DicomJson | null;

export interface DicomJsonElement {
  vr: string;
  Value?: DicomJsonValue[];
  InlineBinary?: string;
  BulkDataURI?: string;
}

export type DicomJson = Record<string, DicomJsonElement>;

/** An element; empty, absent or all-empty values give an element without Value (F.2.5: zero length). */
export function element(vr: string, value: string | number | null | undefined | readonly (string | number | null)[]): DicomJsonElement {
  const values = (Array.isArray(value) ? value : [value]) as (string | number | null | undefined)[];
  if (values.every((v) => v === null || v === undefined || v === '')) return { vr };
  return { vr, Value: values.map((v) => (v === undefined || v === '' ? null : v)) };
}

/** A Person Name in its alphabetic representation (F.2.2: PN values are objects). */
export function personName(alphabetic: string | null): DicomJsonElement {
  return alphabetic ? { vr: 'PN', Value: [{ Alphabetic: alphabetic }] } : { vr: 'PN' };
}

/** Orders the keys of a data set by tag, as the examples of Annex F do and most clients expect. */
export function sortedByTag(dataSet: DicomJson): DicomJson {
  return Object.fromEntries(Object.entries(dataSet).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

// ——— metadata of stored instances ———

/** Binary values up to this size are inlined (InlineBinary, base64); larger ones are left out (docs/dicomweb.md). */
export const MAX_INLINE_BINARY = 1024;
const BINARY_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);
const NUMBER_VRS = new Set(['DS', 'FL', 'FD', 'IS', 'SL', 'SS', 'SV', 'UL', 'US', 'UV']);

interface DcmjsElement {
  vr?: string;
  Value?: unknown;
}
type DcmjsDict = Record<string, DcmjsElement>;
interface Dcmjs {
  data: { DicomMessage: { readFile(buffer: ArrayBuffer, options: { untilTag?: string; includeUntilTagValue?: boolean }): { dict: DcmjsDict; meta: DcmjsDict } } };
  log: { setLevel(level: string): void };
}

let dcmjsModule: Dcmjs | undefined;
/** dcmjs is a CommonJS bundle without type declarations: loaded once, on first use, and typed here. */
function dcmjs(): Dcmjs {
  if (!dcmjsModule) {
    dcmjsModule = createRequire(import.meta.url)('dcmjs') as Dcmjs;
    // Its warnings go to the console, outside our structured (PHI-free) log: silence them.
    dcmjsModule.log.setLevel('silent');
  }
  return dcmjsModule;
}

function binaryElement(vr: string, value: unknown): DicomJsonElement | undefined {
  const buffers = (Array.isArray(value) ? value : [value]).filter((v): v is ArrayBuffer => v instanceof ArrayBuffer);
  const total = buffers.reduce((n, b) => n + b.byteLength, 0);
  if (total === 0) return { vr };
  if (total > MAX_INLINE_BINARY) return undefined;
  return { vr, InlineBinary: Buffer.concat(buffers.map((b) => Buffer.from(b))).toString('base64') };
}

function convertValue(vr: string, v: unknown): DicomJsonValue {
  if (v === undefined || v === null || v === '') return null;
  if (vr === 'SQ') return convertDataSet(v as DcmjsDict);
  if (vr === 'PN') {
    if (typeof v === 'object' && v !== null && typeof (v as { Alphabetic?: unknown }).Alphabetic === 'string') return { Alphabetic: (v as { Alphabetic: string }).Alphabetic };
    return typeof v === 'string' ? { Alphabetic: v } : null;
  }
  // AT values are tags, written as 8 hexadecimal digits (F.2.3.1).
  if (vr === 'AT') return typeof v === 'number' ? v.toString(16).toUpperCase().padStart(8, '0') : typeof v === 'string' ? v : null;
  if (NUMBER_VRS.has(vr)) return typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'bigint' ? Number(v) : null;
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null;
}

function convertDataSet(dict: DcmjsDict): DicomJson {
  const out: DicomJson = {};
  for (const [tag, el] of Object.entries(dict)) {
    if (!/^[0-9A-F]{8}$/.test(tag) || el.vr === undefined) continue; // the Pixel Data stub left by `untilTag`
    const vr = el.vr;
    if (BINARY_VRS.has(vr)) {
      const binary = binaryElement(vr, el.Value);
      if (binary) out[tag] = binary;
      continue;
    }
    const values = Array.isArray(el.Value) ? (el.Value as unknown[]) : el.Value === undefined ? [] : [el.Value];
    const converted = values.map((v) => convertValue(vr, v));
    out[tag] = converted.length === 0 || converted.every((v) => v === null) ? { vr } : { vr, Value: converted };
  }
  return sortedByTag(out);
}

/**
 * The metadata of a stored Part 10 instance: every attribute of its data set except Pixel Data and
 * binary values over 1 KiB (left out; the pixels are served by the frames resource), plus
 * Available Transfer Syntax UID (0008,3002) with the syntax it is stored in. File Meta Information
 * (group 0002) is not part of the data set and is not returned.
 */
export function instanceMetadata(bytes: Buffer): DicomJson {
  const arrayBuffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
  // Stop at Pixel Data: it is never returned, so it need not be read (nor copied).
  const message = dcmjs().data.DicomMessage.readFile(arrayBuffer, { untilTag: '7FE00010', includeUntilTagValue: false });
  const dataSet = convertDataSet(message.dict);
  const syntax = message.meta['00020010']?.Value;
  if (Array.isArray(syntax) && typeof syntax[0] === 'string') dataSet['00083002'] = { vr: 'UI', Value: [syntax[0]] };
  return sortedByTag(dataSet);
}
