/**
 * Structural checks on a data set parsed by dicom-parser, for what the parser itself lets pass:
 * sequence nesting depth, every element and item inside its container, undefined lengths only
 * where PS3.5 allows them, and encapsulated fragments inside the file. dicom-parser throws on most
 * overruns of explicit-VR data, but it only warns (or silently clips) when an undefined-length
 * item, sequence or fragment list runs into the end of the file, and it does not bound the last
 * element of an implicit-VR data set.
 */
import dicomParser from 'dicom-parser';
import type { DataSet, Element } from 'dicom-parser';
import { type IngestRefusal, IngestRefusal as Refusal } from './ingest-errors.ts';

const UNDEFINED_LENGTH = 0xffffffff;
const PIXEL_DATA = 'x7fe00010';

export interface StructureContext {
  /** Implicit VR Little Endian (PS3.5 §A.1): VRs come from a dictionary, not the stream. */
  implicitVr: boolean;
  /** Pixel Data may be encapsulated (undefined length, PS3.5 §A.4) under this transfer syntax. */
  encapsulatedAllowed: boolean;
  maxSequenceDepth: number;
  /**
   * Set when the data set was parsed only up to the top-level Pixel Data (7FE0,0010) header, its value
   * left in the file (dicom-stream-validate.ts): that element is bounded by the whole file's size, not
   * by the bytes parsed, and its fragments are walked by the stream reader.
   */
  streamedPixelData?: { fileSize: number };
}

/** Item, item delimiter and sequence delimiter tags (group FFFE, PS3.5 §7.5) carry no value. */
function isDelimiterTag(tag: string): boolean {
  return tag.startsWith('xfffe');
}

/** PS3.5 §7.1: odd group numbers are private. */
function isPrivateTag(tag: string): boolean {
  return Number.parseInt(tag.slice(4, 5), 16) % 2 === 1;
}

/**
 * dicom-parser reads a private implicit-VR sequence of undefined length and then drops its items
 * (it cannot know the VR); to bound nesting we read them again from the same bytes. An element of
 * undefined length that does not start with an item or sequence delimiter is not a sequence.
 */
function rereadPrivateItems(dataSet: DataSet, element: Element): Element[] | undefined {
  const bytes = dataSet.byteArray;
  if (element.dataOffset + 4 > bytes.length) return undefined;
  const parser = dataSet.byteArrayParser;
  const group = parser.readUint16(bytes, element.dataOffset);
  const number = parser.readUint16(bytes, element.dataOffset + 2);
  if (group !== 0xfffe || (number !== 0xe000 && number !== 0xe0dd)) return undefined;
  const copy: Element = { tag: element.tag, length: element.length, dataOffset: element.dataOffset };
  if (element.length === 0) return [];
  dicomParser.readSequenceItemsImplicit(new dicomParser.ByteStream(parser, bytes, element.dataOffset), copy);
  return copy.items ?? [];
}

/**
 * The items of a sequence element, or undefined when the element is not a sequence. Throws a
 * refusal for an undefined length that PS3.5 §7.1.2 does not allow (only SQ, UN holding a
 * sequence, and encapsulated Pixel Data may have one).
 */
function sequenceItems(dataSet: DataSet, element: Element, context: StructureContext): Element[] | undefined {
  if (element.items !== undefined) return element.items;
  if (element.hadUndefinedLength !== true) return undefined;
  if (element.tag === PIXEL_DATA && element.encapsulatedPixelData === true) {
    if (!context.encapsulatedAllowed) throw new Refusal('MALFORMED', 'encapsulated pixel data under a native transfer syntax');
    return undefined;
  }
  const reread = context.implicitVr && isPrivateTag(element.tag) ? rereadPrivateItems(dataSet, element) : undefined;
  if (reread !== undefined) return reread;
  throw new Refusal('MALFORMED', `undefined length on non-sequence element ${element.tag}`);
}

function checkFragments(dataSet: DataSet, element: Element): void {
  const fragments = element.fragments ?? [];
  if (fragments.length === 0) throw new Refusal('TRUNCATED', 'encapsulated pixel data without fragments');
  for (const fragment of fragments) {
    if (fragment.position + fragment.length > dataSet.byteArray.length) throw new Refusal('TRUNCATED', 'pixel data fragment runs past the end of the file');
  }
}

/**
 * The top-level Pixel Data of a data set parsed up to its header: a native value must lie inside the
 * file; an undefined length (encapsulated, PS3.5 §A.4) only under a transfer syntax that allows it.
 */
function checkStreamedPixelData(element: Element, context: StructureContext, fileSize: number): void {
  if (element.hadUndefinedLength === true) {
    if (!context.encapsulatedAllowed) throw new Refusal('MALFORMED', 'encapsulated pixel data under a native transfer syntax');
    return;
  }
  if (element.dataOffset + element.length > fileSize) throw new Refusal('TRUNCATED', `element ${element.tag} runs past the end of its container`);
}

function walk(dataSet: DataSet, end: number, depth: number, context: StructureContext): void {
  for (const element of Object.values(dataSet.elements)) {
    if (isDelimiterTag(element.tag)) continue;
    if (depth === 0 && element.tag === PIXEL_DATA && context.streamedPixelData !== undefined) {
      checkStreamedPixelData(element, context, context.streamedPixelData.fileSize);
      continue;
    }
    if (element.length === UNDEFINED_LENGTH || element.dataOffset + element.length > end) {
      throw new Refusal('TRUNCATED', `element ${element.tag} runs past the end of its container`);
    }
    if (element.tag === PIXEL_DATA && element.encapsulatedPixelData === true) checkFragments(dataSet, element);
    const items = sequenceItems(dataSet, element, context);
    if (items === undefined) continue;
    if (depth + 1 > context.maxSequenceDepth) throw new Refusal('TOO_DEEP', `sequence nesting deeper than ${context.maxSequenceDepth}`);
    const sequenceEnd = element.dataOffset + element.length;
    for (const item of items) {
      const itemEnd = item.dataOffset + item.length;
      if (item.length === UNDEFINED_LENGTH || itemEnd > sequenceEnd) throw new Refusal('TRUNCATED', `item of ${element.tag} runs past its sequence`);
      if (item.dataSet !== undefined) walk(item.dataSet, itemEnd, depth + 1, context);
    }
  }
}

/**
 * Checks the parsed data set against the limits; returns the refusal, or undefined when the
 * structure is sound. The walk recurses at most `maxSequenceDepth` levels.
 */
export function checkStructure(dataSet: DataSet, context: StructureContext): IngestRefusal | undefined {
  try {
    walk(dataSet, dataSet.byteArray.length, 0, context);
    return undefined;
  } catch (thrown) {
    if (thrown instanceof Refusal) return thrown;
    // The re-read of private items can overrun like any parse of a damaged file.
    return new Refusal('TRUNCATED', typeof thrown === 'string' ? thrown.slice(0, 200) : 'private sequence re-read failed');
  }
}

/**
 * dicom-parser's warnings that mean the data ended before the structure did. The only other
 * warning it emits at the end of a file ("…peeking to determine VR") is harmless: it comes from a
 * short last element in implicit VR, whose bounds {@link checkStructure} checks itself.
 */
export function refusalForWarnings(warnings: readonly string[]): IngestRefusal | undefined {
  for (const warning of warnings) {
    if (warning.includes('peeking to determine VR')) continue;
    if (warning.includes('eof encountered') || warning.includes('missing sequence delimiter')) return new Refusal('TRUNCATED', warning.slice(0, 200));
    return new Refusal('MALFORMED', warning.slice(0, 200));
  }
  return undefined;
}
