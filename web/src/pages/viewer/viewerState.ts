import type { Window } from './windowing';

/** What a left-drag does; a right-drag always sets window/level. */
export type DragMode = 'window' | 'pan';

/** How the current image is shown (kept while scrolling through the series). */
export interface ViewState {
  /** Null until the first image arrives and gives its default window. */
  window: Window | null;
  /** 1 = the image fits the canvas. */
  zoom: number;
  /** Offset of the image centre from the canvas centre, in canvas pixels. */
  pan: { x: number; y: number };
  mode: DragMode;
}

export type ViewAction =
  | { type: 'window'; window: Window }
  | { type: 'zoom'; factor: number }
  | { type: 'pan'; dx: number; dy: number }
  | { type: 'mode'; mode: DragMode }
  | { type: 'reset'; window: Window | null };

export const MIN_ZOOM = 0.25;
export const MAX_ZOOM = 16;

export const initialView: ViewState = { window: null, zoom: 1, pan: { x: 0, y: 0 }, mode: 'window' };

export function viewReducer(state: ViewState, action: ViewAction): ViewState {
  switch (action.type) {
    case 'window':
      return { ...state, window: action.window };
    case 'zoom':
      return { ...state, zoom: Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, state.zoom * action.factor)) };
    case 'pan':
      return { ...state, pan: { x: state.pan.x + action.dx, y: state.pan.y + action.dy } };
    case 'mode':
      return { ...state, mode: action.mode };
    case 'reset':
      return { ...initialView, mode: state.mode, window: action.window };
  }
}

/**
 * The window after a drag of (dx, dy) canvas pixels from `start`: right widens, up brightens
 * (lowers the level); the step scales with the window so that narrow and wide windows both move
 * at a usable pace.
 */
export function draggedWindow(start: Window, dx: number, dy: number): Window {
  const step = Math.max(start.width / 256, 1e-6);
  return { width: Math.max(start.width + dx * step * 2, start.width / 1000, 1e-6), center: start.center + dy * step };
}
