/**
 * Typed reads of attribute values from a data set parsed by dicom-parser.
 */
import type { DataSet } from 'dicom-parser';

/** Longest text value read for the summary, in bytes. */
export const MAX_TEXT_BYTES = 1024;

/** Strings decoded per Specific Character Set (PS3.5 §6.1): UTF-8 for ISO_IR 192, else Latin-1. */
export class DicomReader {
  private readonly utf8: boolean;
  constructor(private readonly dataSet: DataSet) {
    this.utf8 = (this.string('x00080005') ?? '').includes('ISO_IR 192');
  }

  /**
   * ASCII-only VRs (UI, CS, DA, TM, IS, …): the value up to its first NUL, spaces trimmed, as
   * dicom-parser's `string()` does, but reading at most {@link MAX_TEXT_BYTES} + 1 bytes (so an
   * over-long UID is still seen as over-long, and a huge element costs nothing).
   */
  string(tag: string): string | undefined {
    const element = this.dataSet.elements[tag];
    if (element === undefined || element.length === 0) return undefined;
    const bytes = this.dataSet.byteArray;
    const length = Math.min(element.length, MAX_TEXT_BYTES + 1);
    const raw = Buffer.from(bytes.buffer, bytes.byteOffset + element.dataOffset, length);
    const nul = raw.indexOf(0);
    const value = raw.toString('latin1', 0, nul === -1 ? length : nul).trim();
    return value === '' ? undefined : value;
  }

  /**
   * Text VRs that may use the character set (PN, LO, SH): leading spaces and trailing spaces/NULs
   * trimmed (PS3.5 §6.2), then decoded. At most {@link MAX_TEXT_BYTES} are read: these VRs hold 64
   * characters (PN: 64 per component group), so anything longer is not conformant anyway.
   */
  text(tag: string): string | undefined {
    const element = this.dataSet.elements[tag];
    if (element === undefined || element.length === 0) return undefined;
    const bytes = this.dataSet.byteArray;
    let start = element.dataOffset;
    let end = Math.min(element.dataOffset + element.length, start + MAX_TEXT_BYTES);
    while (end > start && (bytes[end - 1] === 0x20 || bytes[end - 1] === 0x00)) end -= 1;
    while (start < end && bytes[start] === 0x20) start += 1;
    if (start === end) return undefined;
    const raw = Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start);
    return this.utf8 ? raw.toString('utf8') : raw.toString('latin1');
  }

  /** An IS value (PS3.5 §6.2: optional sign and digits, padded with spaces); undefined when not one. */
  integerString(tag: string): number | undefined {
    const value = this.string(tag);
    if (value === undefined || !/^[+-]?\d{1,12}$/.test(value.trim())) return undefined;
    return Number.parseInt(value, 10);
  }

  uint16(tag: string): number | undefined {
    const element = this.dataSet.elements[tag];
    return element === undefined || element.length < 2 ? undefined : this.dataSet.uint16(tag);
  }
}

