/**
 * Burned-in text (DEID-2): which instances must be held back from AI processing and export until
 * someone masks or reviews them, and rectangle masking of native pixel data in the manner of RSNA
 * CTP's DicomPixelAnonymizer (regions configured per device model and image size, filled with 0).
 * Pure functions: the callers (the de-identifier, the CLI, later the review workflow) decide what a
 * hold means for them. The OCR seam is {@link BurnedInTextDetector}.
 */

/** What the gate looks at, read from the instance before de-identification. */
export interface PixelTextFacts {
  sopClassUid: string;
  modality?: string;
  /** Burned In Annotation (0028,0301) as found ("YES", "NO", or absent). */
  burnedInAnnotation?: string;
  manufacturer?: string;
  modelName?: string;
  rows?: number;
  columns?: number;
  /** The instance has Pixel Data at all (no pixels, no burned-in text). */
  hasPixels: boolean;
}

/** A device model (case-insensitive substring of Manufacturer (0008,0070) and Manufacturer's Model Name (0008,1090)). */
export interface DeviceModel {
  manufacturer?: string;
  model: string;
}

/** A rectangle in pixels: columns x..x+width-1, rows y..y+height-1 (CTP writes them (x,y,w,h) too). */
export interface PixelRegion {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Regions to blank for one device model at one image size. */
export interface PixelMaskRule extends DeviceModel {
  rows: number;
  columns: number;
  regions: readonly PixelRegion[];
}

export interface PixelTextPolicy {
  /** SOP classes held besides ultrasound and secondary capture (configured per tenant). */
  extraSopClasses?: readonly string[];
  /** Device models known to burn text in (configured per tenant). */
  deviceModels?: readonly DeviceModel[];
  /** Masks that make an instance safe without review. */
  masks?: readonly PixelMaskRule[];
}

export type PixelTextReason = 'burned-in-annotation' | 'ultrasound' | 'secondary-capture' | 'configured-sop-class' | 'configured-device-model' | 'detector';

export type PixelTextRisk = { hold: false } | { hold: true; reason: PixelTextReason; detail: string };

const STORAGE = '1.2.840.10008.5.1.4.1.1.';
/** Ultrasound Image, Ultrasound Multi-frame Image and their retired forms (PS3.6 Annex A). */
const ULTRASOUND_CLASSES = new Set(['6', '6.1', '6.2', '3', '3.1'].map((s) => STORAGE + s));
/** Secondary Capture (single-frame and the four multi-frame SC classes): screenshots, scanned documents. */
const SECONDARY_CAPTURE_CLASSES = new Set(['7', '7.1', '7.2', '7.3', '7.4'].map((s) => STORAGE + s));

function contains(haystack: string | undefined, needle: string | undefined): boolean {
  if (needle === undefined || needle.trim() === '') return true;
  return (haystack ?? '').toLowerCase().includes(needle.trim().toLowerCase());
}

function matchesDevice(facts: PixelTextFacts, device: DeviceModel): boolean {
  return contains(facts.manufacturer, device.manufacturer) && device.model.trim() !== '' && contains(facts.modelName, device.model);
}

/**
 * Whether an instance must be held, and why: Burned In Annotation YES; ultrasound and secondary
 * capture (which carry text in pixels as a rule, whatever their Burned In Annotation says: many
 * devices write NO by default); configured SOP classes and device models; or a detector's finding.
 */
export function assessPixelTextRisk(facts: PixelTextFacts, policy: PixelTextPolicy = {}, detectorFindings: readonly PixelRegion[] = []): PixelTextRisk {
  if (!facts.hasPixels) return { hold: false };
  if ((facts.burnedInAnnotation ?? '').trim().toUpperCase() === 'YES') return { hold: true, reason: 'burned-in-annotation', detail: 'Burned In Annotation (0028,0301) is YES' };
  if (ULTRASOUND_CLASSES.has(facts.sopClassUid) || facts.modality === 'US') return { hold: true, reason: 'ultrasound', detail: 'ultrasound images carry text in their pixels' };
  if (SECONDARY_CAPTURE_CLASSES.has(facts.sopClassUid)) return { hold: true, reason: 'secondary-capture', detail: 'secondary capture images are screenshots or scans' };
  if ((policy.extraSopClasses ?? []).includes(facts.sopClassUid)) return { hold: true, reason: 'configured-sop-class', detail: `SOP class ${facts.sopClassUid} is configured as carrying text` };
  const device = (policy.deviceModels ?? []).find((d) => matchesDevice(facts, d));
  if (device) return { hold: true, reason: 'configured-device-model', detail: `device model ${device.model} is configured as carrying text` };
  if (detectorFindings.length > 0) return { hold: true, reason: 'detector', detail: `${detectorFindings.length} text region(s) detected` };
  return { hold: false };
}

/** The mask rule for this device model and image size, if one is configured. */
export function findMaskRule(facts: PixelTextFacts, policy: PixelTextPolicy): PixelMaskRule | undefined {
  return (policy.masks ?? []).find((rule) => rule.rows === facts.rows && rule.columns === facts.columns && matchesDevice(facts, rule));
}

/** The layout of native (uncompressed) pixel data, PS3.3 §C.7.6.3 and PS3.5 §8.1. */
export interface NativePixelLayout {
  rows: number;
  columns: number;
  frames: number;
  samplesPerPixel: number;
  /** Planar Configuration (0028,0006): 0 colour-by-pixel, 1 colour-by-plane. */
  planarConfiguration: number;
  bitsAllocated: number;
  photometricInterpretation: string;
}

/** Why a layout cannot be masked by rectangles of whole pixels, or undefined when it can. */
export function unmaskableLayout(layout: NativePixelLayout, byteLength: number): string | undefined {
  if (layout.bitsAllocated === 1 || layout.bitsAllocated % 8 !== 0) return 'bit-packed pixel data cannot be masked';
  // YBR_*_422 packs two pixels' chroma together (PS3.3 §C.7.6.3.1.2): not addressable per pixel here.
  if (layout.photometricInterpretation.endsWith('_422') || layout.photometricInterpretation.endsWith('_420')) return 'subsampled colour pixel data cannot be masked';
  const frameBytes = layout.rows * layout.columns * layout.samplesPerPixel * (layout.bitsAllocated / 8);
  if (frameBytes * layout.frames > byteLength) return 'pixel data shorter than its declared size';
  return undefined;
}

/**
 * Writes zeros into every region of every frame of native pixel data, in place; returns how many
 * rectangles (regions × frames) were blanked. Zero bytes are zero in either byte order, so the
 * transfer syntax's endianness does not matter. Regions are clipped to the image.
 */
export function maskNativePixels(pixels: Uint8Array, layout: NativePixelLayout, regions: readonly PixelRegion[]): number {
  const bytesPerSample = layout.bitsAllocated / 8;
  const planeBytes = layout.rows * layout.columns * bytesPerSample;
  const frameBytes = planeBytes * layout.samplesPerPixel;
  let blanked = 0;
  for (let frame = 0; frame < layout.frames; frame += 1) {
    const frameStart = frame * frameBytes;
    for (const region of regions) {
      const x0 = Math.max(0, Math.floor(region.x));
      const y0 = Math.max(0, Math.floor(region.y));
      const x1 = Math.min(layout.columns, Math.floor(region.x + region.width));
      const y1 = Math.min(layout.rows, Math.floor(region.y + region.height));
      if (x1 <= x0 || y1 <= y0) continue;
      for (let y = y0; y < y1; y += 1) {
        if (layout.planarConfiguration === 1 && layout.samplesPerPixel > 1) {
          for (let plane = 0; plane < layout.samplesPerPixel; plane += 1) {
            const rowStart = frameStart + plane * planeBytes + (y * layout.columns) * bytesPerSample;
            pixels.fill(0, rowStart + x0 * bytesPerSample, rowStart + x1 * bytesPerSample);
          }
        } else {
          const pixelBytes = bytesPerSample * layout.samplesPerPixel;
          const rowStart = frameStart + y * layout.columns * pixelBytes;
          pixels.fill(0, rowStart + x0 * pixelBytes, rowStart + x1 * pixelBytes);
        }
      }
      blanked += 1;
    }
  }
  return blanked;
}

/** One frame handed to a text detector: native samples, as laid out in the file. */
export interface PixelFrame {
  layout: NativePixelLayout;
  frameIndex: number;
  samples: Uint8Array;
}

/**
 * The seam for an OCR detector (not built yet): given a frame, the regions where it sees text. Its
 * findings feed {@link assessPixelTextRisk} (reason 'detector') and can become mask regions once a
 * reviewer accepts them.
 */
export interface BurnedInTextDetector {
  readonly name: string;
  detect(frame: PixelFrame): Promise<PixelRegion[]>;
}
