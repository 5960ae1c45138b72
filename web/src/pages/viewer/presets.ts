import type { Window } from './windowing';

/** Common CT windows in Hounsfield units (width W, level L). */
export const ctPresets: readonly { name: string; window: Window }[] = [
  { name: 'Lung', window: { width: 1500, center: -600 } },
  { name: 'Mediastinum', window: { width: 350, center: 50 } },
  { name: 'Bone', window: { width: 2000, center: 300 } },
  { name: 'Brain', window: { width: 80, center: 40 } },
];
