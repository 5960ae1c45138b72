/**
 * Applies the profile to every element of a raw dcmjs data set, recursing into sequences (PS3.15
 * E.1.1: "whether contained in the main dataset or embedded in an Item of a Sequence of Items").
 *
 * Modes of a data set, set by the action on the sequence that holds it:
 * - normal: attributes not in Table E.1-1 are kept (K, "cleaned for sequences": recursion);
 * - dummy (a sequence with action D, e.g. Content Sequence or Person Identification Code Sequence
 *   without the matching Clean option): what the table does not cover is made a dummy too — every
 *   text, name and date value — so the sequence keeps its structure and none of its content;
 * - clean (action C on a sequence: Clean Structured Content, Clean Graphics): codes, numbers and
 *   structure are kept, free text (LT, ST, UT, UC, PN) only when allow-listed, else a dummy.
 */
import type { ProfileOptionColumn } from './generated/profile-table.ts';
import { decide, lookupProfile, basicAction, type ProfileMatch, type ResolvedAction } from './profile-rules.ts';
import { allowListed, DATE_VRS, dummyValue, DUMMY_TEXT, FREE_TEXT_VRS, shiftValues, TEXT_VRS } from './dicom-values.ts';
import type { RawDataset, RawElement } from './dcmjs-raw.ts';
import type { SafePrivateAttribute } from './deid-options.ts';

/** Keyed functions of the tenant (src/crypto/pseudonyms.ts implements them). */
export interface DeidKeys {
  uid(original: string): string;
  patientPseudonym(identity: string): string;
  dateShiftDays(identity: string): number;
  token(kind: string, value: string, length?: number): string;
}

export type Mode = 'normal' | 'dummy' | 'clean';

/** What happened to an element, for the report. */
export type ActionTaken = 'removed' | 'emptied' | 'dummy' | 'uid-replaced' | 'date-shifted' | 'kept' | 'cleaned-kept' | 'cleaned-replaced' | 'pseudonym' | 'recursed';
/** Which kind of element it was. */
export type TagClass = 'profile' | 'repeating-group' | 'private' | 'unlisted' | 'group-length';

export interface WalkContext {
  enabled: ReadonlySet<ProfileOptionColumn>;
  keys: DeidKeys;
  /** Days to move dates back (Modified Dates option), per patient. */
  shiftDays?: number;
  allowList: ReadonlyArray<string | RegExp>;
  safePrivate: readonly SafePrivateAttribute[];
  count(tagClass: TagClass, action: ActionTaken): void;
}

const MAX_DEPTH = 32;
/** Well-known UIDs of the standard (transfer syntaxes, SOP classes, coding schemes) identify nothing. */
const STANDARD_UID_ROOT = '1.2.840.10008.';

function set(ds: RawDataset, key: string, vr: string, value: unknown[]): void {
  ds[key] = { vr, Value: value };
}

function values(element: RawElement): unknown[] {
  return Array.isArray(element.Value) ? element.Value : [];
}

function items(element: RawElement): RawDataset[] {
  return values(element).filter((item): item is RawDataset => typeof item === 'object' && item !== null && !(item instanceof ArrayBuffer));
}

function replaceUids(ctx: WalkContext, element: RawElement): unknown[] {
  return values(element).map((value) => (typeof value === 'string' && value.trim() !== '' && !value.startsWith(STANDARD_UID_ROOT) ? ctx.keys.uid(value.trim()) : value));
}

export class DatasetWalker {
  constructor(private readonly ctx: WalkContext) {}

  walk(ds: RawDataset, mode: Mode, depth = 0): void {
    if (depth > MAX_DEPTH) throw new Error('sequences nested too deeply');
    const creators = this.privateCreators(ds);
    const keptBlocks = new Set<string>();
    const removedOverlayGroups = new Set<string>();
    for (const key of Object.keys(ds)) {
      const element = ds[key] as RawElement;
      const group = Number.parseInt(key.slice(0, 4), 16);
      const elementNumber = Number.parseInt(key.slice(4, 8), 16);
      if (elementNumber === 0 || group === 0x0002) {
        // Group lengths (retired, and wrong once values change) and stray meta elements in the data set.
        delete ds[key];
        this.ctx.count('group-length', 'removed');
      } else if (group % 2 === 1) {
        if (elementNumber >= 0x1000 && this.keepPrivate(creators, group, elementNumber)) {
          keptBlocks.add(`${group}:${elementNumber >> 8}`);
          if (element.vr === 'SQ') for (const item of items(element)) this.walk(item, mode, depth + 1);
          this.ctx.count('private', 'kept');
        } else if (!(elementNumber >= 0x0010 && elementNumber <= 0x00ff)) {
          delete ds[key];
          this.ctx.count('private', 'removed');
        }
      } else {
        const match = lookupProfile(key);
        if (match) {
          const action = this.applyProfile(ds, key, element, match, mode, depth);
          this.ctx.count(match.kind === 'exact' ? 'profile' : 'repeating-group', action);
          if (action === 'removed' && (group & 0xff00) === 0x6000 && elementNumber === 0x3000) removedOverlayGroups.add(key.slice(0, 4));
        } else {
          this.ctx.count('unlisted', this.applyUnlisted(ds, key, element, mode, depth));
        }
      }
    }
    // Private creators stay only for blocks that kept an element (PS3.5 §7.8.1).
    for (const [block] of creators) {
      if (keptBlocks.has(block)) continue;
      const [group, element] = block.split(':').map(Number) as [number, number];
      delete ds[group.toString(16).toUpperCase().padStart(4, '0') + element.toString(16).toUpperCase().padStart(4, '0')];
      this.ctx.count('private', 'removed');
    }
    // An overlay without its Overlay Data is not an overlay (its Type 1 attributes, PS3.3 §C.9.2,
    // would describe nothing): the whole 60xx group goes with it.
    for (const group of removedOverlayGroups) {
      for (const key of Object.keys(ds)) {
        if (!key.startsWith(group)) continue;
        delete ds[key];
        this.ctx.count('repeating-group', 'removed');
      }
    }
  }

  /** Private creator elements (gggg,0010-00FF) by "group:block". */
  private privateCreators(ds: RawDataset): Map<string, string> {
    const creators = new Map<string, string>();
    for (const key of Object.keys(ds)) {
      const group = Number.parseInt(key.slice(0, 4), 16);
      const element = Number.parseInt(key.slice(4, 8), 16);
      if (group % 2 === 1 && element >= 0x0010 && element <= 0x00ff) {
        const value = values(ds[key] as RawElement)[0];
        creators.set(`${group}:${element}`, typeof value === 'string' ? value.trim() : '');
      }
    }
    return creators;
  }

  /** Retain Safe Private (rtnSafePrivOpt C): only attributes on the explicit allow-list, under their own creator. */
  private keepPrivate(creators: Map<string, string>, group: number, element: number): boolean {
    if (!this.ctx.enabled.has('rtnSafePrivOpt') || group <= 0x0007 || group === 0xffff) return false;
    const creator = creators.get(`${group}:${element >> 8}`);
    if (creator === undefined || creator === '') return false;
    return this.ctx.safePrivate.some((safe) => safe.creator === creator && safe.group === group && safe.element === (element & 0xff));
  }

  private applyProfile(ds: RawDataset, key: string, element: RawElement, match: ProfileMatch, mode: Mode, depth: number): ActionTaken {
    const decision = decide(key, match.entry, this.ctx.enabled);
    if (decision.action === 'C') {
      const cleaned = this.clean(ds, key, element, decision.cleanBy, depth);
      if (cleaned !== undefined) return cleaned;
      // Cleaning could not keep this value: the Basic Profile's action applies.
      return this.apply(ds, key, element, basicAction(key, match.entry), mode, depth);
    }
    return this.apply(ds, key, element, decision.action, mode, depth);
  }

  private apply(ds: RawDataset, key: string, element: RawElement, action: ResolvedAction, mode: Mode, depth: number): ActionTaken {
    switch (action) {
      case 'X':
        delete ds[key];
        return 'removed';
      case 'Z':
        set(ds, key, element.vr, []);
        return 'emptied';
      case 'K':
        if (element.vr === 'SQ') for (const item of items(element)) this.walk(item, mode, depth + 1);
        return 'kept';
      case 'U':
        if (element.vr === 'SQ') {
          for (const item of items(element)) this.walk(item, 'normal', depth + 1);
          return 'recursed';
        }
        set(ds, key, element.vr, replaceUids(this.ctx, element));
        return 'uid-replaced';
      case 'C':
        // Reached only through a C in the Basic Profile column, which Table E.1-1 does not use.
        return this.apply(ds, key, element, 'X', mode, depth);
      case 'D':
        return this.dummy(ds, key, element, depth);
    }
  }

  private dummy(ds: RawDataset, key: string, element: RawElement, depth: number): ActionTaken {
    if (element.vr === 'SQ') {
      for (const item of items(element)) this.walk(item, 'dummy', depth + 1);
      return 'dummy';
    }
    if (element.vr === 'UI') {
      const uids = replaceUids(this.ctx, element);
      set(ds, key, 'UI', uids.length > 0 ? uids : [this.ctx.keys.uid(`dummy/${key}`)]);
      return 'uid-replaced';
    }
    const dummy = dummyValue(element.vr);
    if (dummy === undefined) {
      delete ds[key];
      return 'removed';
    }
    set(ds, key, element.vr, dummy);
    return 'dummy';
  }

  /** Action C for the options that asked for it; undefined when the value cannot be kept clean. */
  private clean(ds: RawDataset, key: string, element: RawElement, by: ProfileOptionColumn[], depth: number): ActionTaken | undefined {
    if (by.includes('rtnLongModifDatesOpt')) {
      if (element.vr === 'TM') return 'kept'; // dates move by whole days; the time of day stays
      if (DATE_VRS.has(element.vr) && this.ctx.shiftDays !== undefined) {
        const shifted = shiftValues(element.vr, values(element), this.ctx.shiftDays);
        if (shifted === undefined) return undefined;
        set(ds, key, element.vr, shifted);
        return 'date-shifted';
      }
    }
    if (element.vr === 'SQ') {
      for (const item of items(element)) this.walk(item, 'clean', depth + 1);
      return 'cleaned-kept';
    }
    if (by.includes('rtnDevIdOpt') && element.vr === 'AE') {
      // "Values of similar meaning": a keyed stand-in, distinct per original AE title (≤ 16 characters).
      set(ds, key, 'AE', values(element).map((v) => (typeof v === 'string' && v.trim() !== '' ? `AE${this.ctx.keys.token('ae', v.trim(), 14)}` : v)));
      return 'cleaned-replaced';
    }
    if ((by.includes('cleanDescOpt') || by.includes('rtnPatCharsOpt') || by.includes('cleanStructContOpt') || by.includes('cleanGraphOpt')) && TEXT_VRS.has(element.vr)) {
      return allowListed(values(element), this.ctx.allowList) ? 'cleaned-kept' : undefined;
    }
    // Overlay and curve data (Clean Graphics) are bitmaps and samples: nothing here can vouch that
    // they hold no text, so they get the Basic Profile's action (removal).
    return undefined;
  }

  private applyUnlisted(ds: RawDataset, key: string, element: RawElement, mode: Mode, depth: number): ActionTaken {
    if (element.vr === 'SQ') {
      for (const item of items(element)) this.walk(item, mode, depth + 1);
      return 'recursed';
    }
    // PS3.15 E.1.1 note 4: dates are handled by VR, not only where the table lists them.
    if (DATE_VRS.has(element.vr) && this.ctx.enabled.has('rtnLongModifDatesOpt') && this.ctx.shiftDays !== undefined) {
      const shifted = shiftValues(element.vr, values(element), this.ctx.shiftDays);
      if (shifted !== undefined) {
        set(ds, key, element.vr, shifted);
        return 'date-shifted';
      }
      set(ds, key, element.vr, dummyValue(element.vr) ?? []);
      return 'dummy';
    }
    if (mode === 'normal') return 'kept';
    const datesKept = this.ctx.enabled.has('rtnLongFullDatesOpt') || this.ctx.enabled.has('rtnLongModifDatesOpt');
    if (element.vr === 'UN') {
      delete ds[key];
      return 'removed';
    }
    if ((DATE_VRS.has(element.vr) || element.vr === 'TM') && !datesKept) {
      set(ds, key, element.vr, dummyValue(element.vr) ?? []);
      return 'dummy';
    }
    const screened = mode === 'dummy' ? TEXT_VRS : FREE_TEXT_VRS;
    if (!screened.has(element.vr) || values(element).length === 0) return 'kept';
    if (mode === 'clean' && allowListed(values(element), this.ctx.allowList)) return 'cleaned-kept';
    set(ds, key, element.vr, element.vr === 'PN' ? [{ Alphabetic: DUMMY_TEXT }] : dummyValue(element.vr) ?? [DUMMY_TEXT]);
    return 'dummy';
  }
}
