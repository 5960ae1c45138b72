import { get, put } from './client';
import type { PixelRegion } from './research';

/**
 * The organisation's de-identification settings (docs/api-research.md "De-identification settings of
 * the tenant"; docs/deidentification.md; MISSION DEID-1, DEID-2). Administrators only (`deid.configure`).
 */

/** A device model known to burn text into its pixels; manufacturer and model match as case-insensitive substrings. */
export interface DeviceModel {
  /** Omitted: any manufacturer. */
  manufacturer?: string;
  model: string;
}

/** RSNA CTP-style mask: for one device model and image size, the rectangles blanked in every frame. */
export interface PixelMaskRule extends DeviceModel {
  rows: number;
  columns: number;
  /** 1 to 32 rectangles. */
  regions: PixelRegion[];
}

/** Which instances are held for review (besides ultrasound and secondary capture), and the masks that clean them. */
export interface PixelPolicy {
  extraSopClasses?: string[];
  deviceModels?: DeviceModel[];
  masks?: PixelMaskRule[];
}

/** What an Administrator sends. */
export interface DeidSettingsInput {
  pixelPolicy: PixelPolicy;
  /** What the Clean options keep: exact values, compared case-insensitively. */
  textAllowList: string[];
  /** Retain Safe Private: `CREATOR:gggg,xxee` with an odd group. */
  safePrivate: string[];
}

export interface DeidSettings extends DeidSettingsInput {
  /** Null until the settings were first saved. */
  updatedAt: string | null;
}

const path = '/api/admin/deid-settings';

/** The organisation's de-identification settings. */
export function getDeidSettings(): Promise<DeidSettings> {
  return get<DeidSettings>(path);
}

/** Replaces them (step-up: the shared dialog opens on the server's 403); audited on the server. */
export function saveDeidSettings(settings: DeidSettingsInput): Promise<DeidSettings> {
  return put<DeidSettings>(path, settings);
}
