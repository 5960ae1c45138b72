/**
 * Storage SOP Classes whose IODs make Pixel Data (or Float Pixel Data) mandatory (PS3.3 IOD module
 * tables; UIDs from PS3.6 Annex A). A file of one of these classes without pixel data most likely
 * lost its tail at an element boundary — which the byte structure alone cannot show, since DICOM
 * Part 10 records no total length. RT Dose is absent on purpose: its pixel data is conditional.
 */
const STORAGE_ROOT = '1.2.840.10008.5.1.4.1.1.';

const imageStorageSuffixes = [
  '1', '1.1', '1.1.1', '1.2', '1.2.1', '1.3', '1.3.1', // CR, DX, MG, IO
  '2', '2.1', '2.2', // CT, Enhanced CT, Legacy Converted Enhanced CT
  '3.1', '6.1', '6.2', // US Multi-frame, US, Enhanced US Volume
  '4', '4.1', '4.3', '4.4', // MR, Enhanced MR, Enhanced MR Color, Legacy Converted Enhanced MR
  '7', '7.1', '7.2', '7.3', '7.4', // Secondary Capture (single and multi-frame)
  '12.1', '12.1.1', '12.2', '12.2.1', // XA, Enhanced XA, XRF, Enhanced XRF
  '13.1.1', '13.1.2', '13.1.3', '13.1.4', '13.1.5', // 3D XA, 3D Craniofacial, Breast Tomosynthesis, Breast Projection
  '14.1', '14.2', // IVOCT
  '20', '30', '66.4', // NM, Parametric Map, Segmentation
  '77.1.1', '77.1.1.1', '77.1.2', '77.1.2.1', '77.1.3', '77.1.4', '77.1.4.1', // VL and video
  '77.1.5.1', '77.1.5.2', '77.1.5.4', '77.1.5.5', '77.1.5.6', '77.1.5.7', '77.1.5.8', // ophthalmic
  '77.1.6', '77.1.7', // whole slide microscopy, dermoscopic photography
  '128', '128.1', '130', // PET, Legacy Converted Enhanced PET, Enhanced PET
  '481.1', // RT Image
];

const imageStorageClasses: ReadonlySet<string> = new Set(imageStorageSuffixes.map((suffix) => STORAGE_ROOT + suffix));

/** True when the SOP Class's IOD requires pixel data. */
export function requiresPixelData(sopClassUid: string): boolean {
  return imageStorageClasses.has(sopClassUid);
}
