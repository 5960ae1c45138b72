import type { Dispatch } from 'react';
import { ctPresets } from './presets';
import type { DragMode, ViewAction, ViewState } from './viewerState';

function rounded(value: number): string {
  return Math.abs(value) >= 10 ? String(Math.round(value)) : value.toPrecision(3);
}

/** Left-drag mode, CT window presets, zoom, reset, and the current window. */
export function ViewerToolbar({ view, dispatch, onReset, grey }: {
  view: ViewState;
  dispatch: Dispatch<ViewAction>;
  onReset: () => void;
  /** Window controls apply to grey images only. */
  grey: boolean;
}) {
  const modes: { mode: DragMode; label: string }[] = [{ mode: 'window', label: 'Window/level' }, { mode: 'pan', label: 'Pan' }];
  return (
    <div className="viewer-toolbar">
      <fieldset className="viewer-group">
        <legend>Left drag</legend>
        {modes.map(({ mode, label }) => (
          <label key={mode} className="viewer-radio">
            <input type="radio" name="drag-mode" value={mode} checked={view.mode === mode} onChange={() => dispatch({ type: 'mode', mode })} data-testid={`mode-${mode}`} />
            {label}
          </label>
        ))}
      </fieldset>
      <fieldset className="viewer-group" disabled={!grey}>
        <legend>CT presets</legend>
        {ctPresets.map((preset) => (
          <button key={preset.name} type="button" className="button button-small" data-testid={`preset-${preset.name.toLowerCase()}`}
            title={`W ${preset.window.width} L ${preset.window.center}`} onClick={() => dispatch({ type: 'window', window: preset.window })}>
            {preset.name}
          </button>
        ))}
      </fieldset>
      <fieldset className="viewer-group">
        <legend>View</legend>
        <button type="button" className="button button-small" onClick={() => dispatch({ type: 'zoom', factor: 1.25 })} aria-label="Zoom in" data-testid="zoom-in">+</button>
        <button type="button" className="button button-small" onClick={() => dispatch({ type: 'zoom', factor: 0.8 })} aria-label="Zoom out" data-testid="zoom-out">−</button>
        <button type="button" className="button button-small" onClick={onReset} data-testid="reset-view">Reset</button>
      </fieldset>
      <p className="viewer-readout" data-testid="window-readout">
        {grey && view.window !== null ? `W ${rounded(view.window.width)} · L ${rounded(view.window.center)}` : 'Colour image'}
        {` · ${Math.round(view.zoom * 100)} %`}
      </p>
    </div>
  );
}
