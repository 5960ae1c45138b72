import type { ApiError, FieldProblem } from '../../api/errors';
import type { DeidSettings, DeidSettingsInput, DeviceModel, PixelMaskRule } from '../../api/deidSettings';
import type { PixelRegion } from '../../api/research';

/**
 * The de-identification settings as the form edits them (numbers as typed), their checks — the
 * server's rules (src/http/routes/research/research.schema.ts, src/deid/deid-options.ts) — and the
 * mapping of the server's field problems onto the form. Problems are keyed by the request path the
 * server would name (`pixelPolicy.masks.0.regions.1.width`), so that both land on the same field.
 */

/** The API's limits. */
export const LIMITS = {
  sopClasses: 50,
  deviceModels: 100,
  masks: 100,
  regions: 32,
  allowList: 500,
  allowListValue: 200,
  safePrivate: 200,
  safePrivateValue: 100,
  name: 64,
  pixels: 65_535,
} as const;

let lastKey = 0;
/** A React key for a new row (rows are added and removed, so their index is not one). */
export function newKey(): number {
  lastKey += 1;
  return lastKey;
}

export interface SopClassDraft {
  key: number;
  uid: string;
}

export interface DeviceDraft {
  key: number;
  manufacturer: string;
  model: string;
}

export interface RegionDraft {
  key: number;
  x: string;
  y: string;
  width: string;
  height: string;
}

export interface MaskDraft {
  key: number;
  manufacturer: string;
  model: string;
  rows: string;
  columns: string;
  regions: RegionDraft[];
}

export interface DeidDraft {
  sopClasses: SopClassDraft[];
  deviceModels: DeviceDraft[];
  masks: MaskDraft[];
  /** One value per line. */
  allowList: string;
  /** One `CREATOR:gggg,xxee` per line. */
  safePrivate: string;
}

/** Problems by request path. */
export type FieldErrors = Record<string, string>;

export const emptyRegion = (): RegionDraft => ({ key: newKey(), x: '0', y: '0', width: '', height: '' });
export const emptyMask = (): MaskDraft => ({ key: newKey(), manufacturer: '', model: '', rows: '', columns: '', regions: [emptyRegion()] });
export const emptyDevice = (): DeviceDraft => ({ key: newKey(), manufacturer: '', model: '' });
export const emptySopClass = (): SopClassDraft => ({ key: newKey(), uid: '' });

/** The form's starting point for settings read from the server. */
export function draftOf(settings: DeidSettings): DeidDraft {
  const policy = settings.pixelPolicy;
  return {
    sopClasses: (policy.extraSopClasses ?? []).map((uid) => ({ key: newKey(), uid })),
    deviceModels: (policy.deviceModels ?? []).map((d) => ({ key: newKey(), manufacturer: d.manufacturer ?? '', model: d.model })),
    masks: (policy.masks ?? []).map((m) => ({
      key: newKey(), manufacturer: m.manufacturer ?? '', model: m.model, rows: String(m.rows), columns: String(m.columns),
      regions: m.regions.map((r) => ({ key: newKey(), x: String(r.x), y: String(r.y), width: String(r.width), height: String(r.height) })),
    })),
    allowList: settings.textAllowList.join('\n'),
    safePrivate: settings.safePrivate.join('\n'),
  };
}

/** The non-blank lines of a textarea, trimmed, with their line numbers (1-based) for messages. */
export function linesOf(text: string): { value: string; line: number }[] {
  return text.split(/\r?\n/u).map((value, index) => ({ value: value.trim(), line: index + 1 })).filter((entry) => entry.value !== '');
}

/**
 * Whether a Retain Safe Private entry is valid: `CREATOR:gggg,xxee` with hexadecimal digits, an odd
 * group above 0007 and below FFFF (private groups), e.g. `GEMS_PARM_01:0043,xx27`. The same rule as
 * the server's `parseSafePrivate`.
 */
export function isSafePrivate(text: string): boolean {
  const match = /^(.{1,64}):([0-9A-Fa-f]{4}),[xX]{2}([0-9A-Fa-f]{2})$/u.exec(text.trim());
  if (match === null) return false;
  const group = Number.parseInt(match[2] ?? '', 16);
  return group % 2 === 1 && group > 0x0007 && group !== 0xffff;
}

/** A whole number typed into a field, or null when it is not one. */
export function wholeNumber(text: string): number | null {
  const trimmed = text.trim();
  if (!/^\d{1,6}$/u.test(trimmed)) return null;
  return Number(trimmed);
}

/** Where to draw a region in the preview: only when all four numbers are whole numbers (clipped to the image there). */
export function previewRegion(region: RegionDraft, size: { rows: number; columns: number }): PixelRegion | null {
  const [x, y, width, height] = [region.x, region.y, region.width, region.height].map(wholeNumber);
  if (x == null || y == null || width == null || height == null || width < 1 || height < 1) return null;
  if (x >= size.columns || y >= size.rows) return null;
  return { x, y, width: Math.min(width, size.columns - x), height: Math.min(height, size.rows - y) };
}

/** The pixels the rectangles cover together (overlaps counted once), by coordinate compression. */
export function blankedArea(regions: readonly PixelRegion[]): number {
  const xs = [...new Set(regions.flatMap((r) => [r.x, r.x + r.width]))].sort((a, b) => a - b);
  const ys = [...new Set(regions.flatMap((r) => [r.y, r.y + r.height]))].sort((a, b) => a - b);
  let area = 0;
  for (let i = 0; i + 1 < xs.length; i += 1) {
    for (let j = 0; j + 1 < ys.length; j += 1) {
      const [x0, x1, y0, y1] = [xs[i] ?? 0, xs[i + 1] ?? 0, ys[j] ?? 0, ys[j + 1] ?? 0];
      if (regions.some((r) => r.x <= x0 && x1 <= r.x + r.width && r.y <= y0 && y1 <= r.y + r.height)) area += (x1 - x0) * (y1 - y0);
    }
  }
  return area;
}

const lineList = (lines: number[]): string => (lines.length === 1 ? `Line ${lines[0]}` : `Lines ${lines.join(', ')}`);

function checkName(errors: FieldErrors, path: string, value: string, required: boolean, what: string): void {
  const trimmed = value.trim();
  if (required && trimmed === '') errors[path] = `Give the ${what}.`;
  else if (trimmed.length > LIMITS.name) errors[path] = `At most ${LIMITS.name} characters.`;
}

function checkDevice(errors: FieldErrors, path: string, device: { manufacturer: string; model: string }): DeviceModel {
  checkName(errors, `${path}.manufacturer`, device.manufacturer, false, 'manufacturer');
  checkName(errors, `${path}.model`, device.model, true, 'model name');
  const manufacturer = device.manufacturer.trim();
  return { ...(manufacturer === '' ? {} : { manufacturer }), model: device.model.trim() };
}

function checkSize(errors: FieldErrors, path: string, text: string): number | null {
  const value = wholeNumber(text);
  if (value === null || value < 1 || value > LIMITS.pixels) {
    errors[path] = `A whole number from 1 to ${LIMITS.pixels}.`;
    return null;
  }
  return value;
}

function checkRegion(errors: FieldErrors, path: string, region: RegionDraft, size: { rows: number | null; columns: number | null }): PixelRegion {
  const numbers: Record<keyof PixelRegion, number | null> = { x: null, y: null, width: null, height: null };
  for (const name of ['x', 'y', 'width', 'height'] as const) {
    const min = name === 'x' || name === 'y' ? 0 : 1;
    const value = wholeNumber(region[name]);
    if (value === null || value < min) errors[`${path}.${name}`] = min === 0 ? 'A whole number, 0 or more.' : 'A whole number, 1 or more.';
    else numbers[name] = value;
  }
  const { x, y, width, height } = numbers;
  if (size.columns !== null && x !== null) {
    if (x >= size.columns) errors[`${path}.x`] = `Inside the image: less than ${size.columns} (columns).`;
    else if (width !== null && x + width > size.columns) errors[`${path}.width`] = `x + width must not exceed ${size.columns} (columns).`;
  }
  if (size.rows !== null && y !== null) {
    if (y >= size.rows) errors[`${path}.y`] = `Inside the image: less than ${size.rows} (rows).`;
    else if (height !== null && y + height > size.rows) errors[`${path}.height`] = `y + height must not exceed ${size.rows} (rows).`;
  }
  return { x: x ?? 0, y: y ?? 0, width: width ?? 1, height: height ?? 1 };
}

function checkMask(errors: FieldErrors, path: string, mask: MaskDraft): PixelMaskRule {
  const device = checkDevice(errors, path, mask);
  const rows = checkSize(errors, `${path}.rows`, mask.rows);
  const columns = checkSize(errors, `${path}.columns`, mask.columns);
  if (mask.regions.length === 0) errors[`${path}.regions`] = 'Add at least one rectangle.';
  if (mask.regions.length > LIMITS.regions) errors[`${path}.regions`] = `At most ${LIMITS.regions} rectangles per rule.`;
  const regions = mask.regions.map((region, index) => checkRegion(errors, `${path}.regions.${index}`, region, { rows, columns }));
  return { ...device, rows: rows ?? 1, columns: columns ?? 1, regions };
}

/** The request body for a draft, or the problems that keep it from being sent. */
export function checkDraft(draft: DeidDraft): { body: DeidSettingsInput; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const extraSopClasses = draft.sopClasses.map((sop, index) => {
    const uid = sop.uid.trim();
    if (!/^\d[\d.]{0,63}$/u.test(uid)) errors[`pixelPolicy.extraSopClasses.${index}`] = 'A UID: digits and dots, at most 64 characters, e.g. 1.2.840.10008.5.1.4.1.1.77.1.1.';
    return uid;
  });
  if (draft.sopClasses.length > LIMITS.sopClasses) errors['pixelPolicy.extraSopClasses'] = `At most ${LIMITS.sopClasses} SOP classes.`;
  const deviceModels = draft.deviceModels.map((device, index) => checkDevice(errors, `pixelPolicy.deviceModels.${index}`, device));
  if (draft.deviceModels.length > LIMITS.deviceModels) errors['pixelPolicy.deviceModels'] = `At most ${LIMITS.deviceModels} device models.`;
  const masks = draft.masks.map((mask, index) => checkMask(errors, `pixelPolicy.masks.${index}`, mask));
  if (draft.masks.length > LIMITS.masks) errors['pixelPolicy.masks'] = `At most ${LIMITS.masks} mask rules.`;

  const allow = linesOf(draft.allowList);
  const tooLong = allow.filter((entry) => entry.value.length > LIMITS.allowListValue).map((entry) => entry.line);
  if (tooLong.length > 0) errors.textAllowList = `${lineList(tooLong)}: at most ${LIMITS.allowListValue} characters per value.`;
  else if (allow.length > LIMITS.allowList) errors.textAllowList = `At most ${LIMITS.allowList} values.`;

  const safe = linesOf(draft.safePrivate);
  const bad = safe.filter((entry) => entry.value.length > LIMITS.safePrivateValue || !isSafePrivate(entry.value)).map((entry) => entry.line);
  if (bad.length > 0) errors.safePrivate = `${lineList(bad)}: write CREATOR:gggg,xxee with an odd (private) group, e.g. GEMS_PARM_01:0043,xx27.`;
  else if (safe.length > LIMITS.safePrivate) errors.safePrivate = `At most ${LIMITS.safePrivate} entries.`;

  return {
    body: { pixelPolicy: { extraSopClasses, deviceModels, masks }, textAllowList: allow.map((e) => e.value), safePrivate: safe.map((e) => e.value) },
    errors,
  };
}

/** Every field path the form shows for this draft (server problems on other paths go into the banner). */
export function fieldPaths(draft: DeidDraft): Set<string> {
  const paths = new Set(['textAllowList', 'safePrivate', 'pixelPolicy.extraSopClasses', 'pixelPolicy.deviceModels', 'pixelPolicy.masks']);
  draft.sopClasses.forEach((_, i) => paths.add(`pixelPolicy.extraSopClasses.${i}`));
  draft.deviceModels.forEach((_, i) => ['manufacturer', 'model'].forEach((name) => paths.add(`pixelPolicy.deviceModels.${i}.${name}`)));
  draft.masks.forEach((mask, i) => {
    const base = `pixelPolicy.masks.${i}`;
    ['manufacturer', 'model', 'rows', 'columns', 'regions'].forEach((name) => paths.add(`${base}.${name}`));
    mask.regions.forEach((_, j) => ['x', 'y', 'width', 'height'].forEach((name) => paths.add(`${base}.regions.${j}.${name}`)));
  });
  return paths;
}

/**
 * The server's field problems placed on the form's fields: an entry of a textarea (`safePrivate.3`)
 * goes to the textarea with its line number; problems with no field of their own are returned apart.
 */
export function serverFieldErrors(error: ApiError, draft: DeidDraft): { errors: FieldErrors; others: FieldProblem[] } {
  const shown = fieldPaths(draft);
  const lines = { textAllowList: linesOf(draft.allowList), safePrivate: linesOf(draft.safePrivate) };
  const errors: FieldErrors = {};
  const others: FieldProblem[] = [];
  for (const problem of error.fields) {
    const path = problem.path.replace(/^body[./]/u, '').replaceAll('/', '.');
    const entry = /^(textAllowList|safePrivate)\.(\d+)$/u.exec(path);
    if (entry !== null) {
      const field = entry[1] as 'textAllowList' | 'safePrivate';
      const line = lines[field][Number(entry[2])]?.line;
      errors[field] ??= line === undefined ? problem.message : `Line ${line}: ${problem.message}`;
    } else if (shown.has(path)) {
      errors[path] ??= problem.message;
    } else {
      others.push(problem);
    }
  }
  return { errors, others };
}
