/**
 * The DICOM Part 10 preamble, prefix and File Meta Information (PS3.10 §7.1) for a data set received
 * by C-STORE. A C-STORE carries only the data set, encoded in the negotiated transfer syntax; the
 * file meta group is written here, around the received bytes, which are kept exactly as received
 * (private elements included — re-encoding through a DICOM toolkit is what loses them).
 */

/** Clarus's Implementation Class UID (PS3.7 §D.3.3.2), under the 2.25 UUID root (PS3.5 §B.2). */
export const IMPLEMENTATION_CLASS_UID = '2.25.286292327119979295904933931772897462057';
/** Implementation Version Name (SH, at most 16 characters). */
export const IMPLEMENTATION_VERSION = 'CLARUS_0.1';

export interface FileMetaValues {
  /** Affected SOP Class UID (0000,0002) of the C-STORE request. */
  sopClassUid: string;
  /** Affected SOP Instance UID (0000,1000) of the C-STORE request. */
  sopInstanceUid: string;
  /** The transfer syntax accepted for the presentation context the data set came on. */
  transferSyntaxUid: string;
  /** The calling AE title (the peer that sent the data set). */
  sendingAeTitle: string;
  /** The called AE title (Clarus). */
  receivingAeTitle: string;
}

/** An explicit VR little endian element with a 2-byte length (PS3.5 §7.1.2). */
function shortElement(element: number, vr: string, value: string, pad: string): Buffer {
  const text = value.length % 2 === 1 ? value + pad : value;
  const bytes = Buffer.alloc(8 + text.length);
  bytes.writeUInt16LE(0x0002, 0);
  bytes.writeUInt16LE(element, 2);
  bytes.write(vr, 4, 'latin1');
  bytes.writeUInt16LE(text.length, 6);
  bytes.write(text, 8, 'latin1');
  return bytes;
}

/**
 * 128 zero bytes, "DICM" and group 0002 in explicit VR little endian, whatever the data set's
 * transfer syntax (PS3.10 §7.1). UIDs are padded with NUL, AE titles and SH with a space (PS3.5 §6.2).
 */
export function part10Header(values: FileMetaValues): Buffer {
  const elements = [
    // (0002,0001) File Meta Information Version, OB 00\01: 4-byte length form (PS3.5 Table 7.1-1).
    Buffer.from([0x02, 0x00, 0x01, 0x00, 0x4f, 0x42, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01]),
    shortElement(0x0002, 'UI', values.sopClassUid, '\0'),
    shortElement(0x0003, 'UI', values.sopInstanceUid, '\0'),
    shortElement(0x0010, 'UI', values.transferSyntaxUid, '\0'),
    shortElement(0x0012, 'UI', IMPLEMENTATION_CLASS_UID, '\0'),
    shortElement(0x0013, 'SH', IMPLEMENTATION_VERSION, ' '),
    // Source: the AE that wrote the content; Sending/Receiving: the network hop that brought it.
    shortElement(0x0016, 'AE', values.sendingAeTitle, ' '),
    shortElement(0x0017, 'AE', values.sendingAeTitle, ' '),
    shortElement(0x0018, 'AE', values.receivingAeTitle, ' '),
  ];
  const group = Buffer.concat(elements);
  // (0002,0000) File Meta Information Group Length, UL: the bytes of the group after this element.
  const length = Buffer.from([0x02, 0x00, 0x00, 0x00, 0x55, 0x4c, 0x04, 0x00, 0, 0, 0, 0]);
  length.writeUInt32LE(group.length, 8);
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), length, group]);
}
