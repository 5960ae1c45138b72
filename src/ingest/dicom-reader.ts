/**
 * Typed reads of attribute values from a data set parsed by dicom-parser.
 */
import type { DataSet } from 'dicom-parser';

/** Strings decoded per Specific Character Set (PS3.5 §6.1): UTF-8 for ISO_IR 192, else Latin-1. */
export class DicomReader {
  private readonly utf8: boolean;
  constructor(private readonly dataSet: DataSet) {
    this.utf8 = (this.string('x00080005') ?? '').includes('ISO_IR 192');
  }

  /** ASCII-only VRs (UI, CS, DA, TM, IS, …): dicom-parser trims spaces and NUL padding. */
  string(tag: string): string | undefined {
    const value = this.dataSet.string(tag);
    return value === undefined || value === '' ? undefined : value;
  }

  /** Text VRs that may use the character set (PN, LO, SH): bytes decoded, padding trimmed (PS3.5 §6.2). */
  text(tag: string): string | undefined {
    const element = this.dataSet.elements[tag];
    if (element === undefined || element.length === 0) return undefined;
    const raw = Buffer.from(this.dataSet.byteArray.buffer, this.dataSet.byteArray.byteOffset + element.dataOffset, element.length);
    const value = (this.utf8 ? raw.toString('utf8') : raw.toString('latin1')).replace(/[\0 ]+$/, '').replace(/^ +/, '');
    return value === '' ? undefined : value;
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

  uint32(tag: string): number | undefined {
    const element = this.dataSet.elements[tag];
    return element === undefined || element.length < 4 ? undefined : this.dataSet.uint32(tag);
  }

  has(tag: string): boolean {
    return this.dataSet.elements[tag] !== undefined;
  }
}

