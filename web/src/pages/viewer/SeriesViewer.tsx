import { useCallback, useEffect, useMemo, useReducer, useState } from 'react';
import type { Plane, SeriesSummary } from '../../api/images';
import type { PixelRegion } from '../../api/research';
import { ErrorMessage } from '../../components/ErrorMessage';
import { MAX_REGIONS, PixelReviewPanel } from './PixelReviewPanel';
import { PlanePicker } from './PlanePicker';
import { StackSlider } from './StackSlider';
import { buildStack, openingSlice, volumeOf } from './stack';
import { TagPanel } from './TagPanel';
import { usePixels } from './usePixels';
import { ViewerCanvas } from './ViewerCanvas';
import { ViewerToolbar } from './ViewerToolbar';
import { initialView, viewReducer } from './viewerState';
import { defaultWindow } from './windowing';

/**
 * The viewer of one series: toolbar, canvas, slider, the pixel review of the instance shown (with
 * `canReview`, its decision and mask tool), and (with `canSeeTags`) the DICOM tag panel.
 */
export function SeriesViewer({ series, canSeeTags, canReview = false, initialInstanceId = null }: {
  series: SeriesSummary;
  canSeeTags: boolean;
  canReview?: boolean;
  /** Open at this instance (a held instance linked from an export check) instead of the start. */
  initialInstanceId?: string | null;
}) {
  const volume = volumeOf(series);
  const [plane, setPlane] = useState<Plane>('axial');
  /** NIfTI slices per plane as the server counted them (the index only gives a guess: stack.ts). */
  const [sliceCounts, setSliceCounts] = useState<Partial<Record<Plane, number>>>({});
  const stack = useMemo(() => buildStack(series, plane, sliceCounts[plane]), [series, plane, sliceCounts]);
  // NIfTI opens in the middle of the volume (its first slices are usually empty); series at their start.
  const [position, setPosition] = useState(() => {
    const linked = initialInstanceId === null ? -1 : stack.findIndex((item) => item.instanceId === initialInstanceId);
    if (linked !== -1) return linked;
    return volume === null ? 0 : openingSlice(volume, plane);
  });
  /** The mask being drawn on the instance shown, or null when the mask tool is off. */
  const [maskRegions, setMaskRegions] = useState<PixelRegion[] | null>(null);
  const [view, dispatch] = useReducer(viewReducer, initialView);
  const [showTags, setShowTags] = useState(false);
  const { frame, key, error } = usePixels(stack, position);

  // A NIfTI slice says how many slices its plane has: when the guess was wrong (a volume not
  // stored in R-L, A-P, S-I voxel order), use the server's count and open at its middle.
  useEffect(() => {
    // After a failed read `key` names the failed slice while `frame` is still the previous one.
    if (volume === null || frame === null || error !== null || key === null || !key.startsWith(`${volume.id}:${plane}:`)) return;
    if (frame.frames === stack.length || frame.frames < 1) return;
    setSliceCounts((counts) => ({ ...counts, [plane]: frame.frames }));
    setPosition(Math.floor(frame.frames / 2));
  }, [volume, frame, key, error, plane, stack.length]);

  useEffect(() => {
    if (frame !== null && view.window === null) dispatch({ type: 'window', window: defaultWindow(frame) });
  }, [frame, view.window]);

  const step = useCallback((delta: number | 'first' | 'last') => {
    setPosition((p) => {
      const last = stack.length - 1;
      if (delta === 'first') return 0;
      if (delta === 'last') return last;
      return Math.min(last, Math.max(0, p + delta));
    });
  }, [stack.length]);

  const reset = useCallback(() => dispatch({ type: 'reset', window: frame === null ? null : defaultWindow(frame) }), [frame]);

  function changePlane(next: Plane): void {
    setPlane(next);
    if (volume !== null) setPosition(openingSlice(volume, next, sliceCounts[next]));
  }

  const current = stack[position];
  const noun = volume === null ? 'Image' : 'Slice';
  const isDicom = series.instances.find((i) => i.id === current?.instanceId)?.kind === 'dicom';
  return (
    <div className="viewer">
      <ViewerToolbar view={view} dispatch={dispatch} onReset={reset} grey={frame?.samples !== 3} />
      {volume !== null && <PlanePicker plane={plane} onChange={changePlane} />}
      <ErrorMessage error={error} />
      {/* The pixel review sits beside the image, so that the canvas stays in view while a mask is drawn. */}
      <div className="viewer-stage">
        <div className="viewer-stage-image">
          <ViewerCanvas frame={frame} view={view} dispatch={dispatch} onStep={step} onReset={reset}
            label={`${noun} ${position + 1} of ${stack.length}${volume === null ? '' : `, ${plane}`}`}
            mask={maskRegions === null ? null : {
              regions: maskRegions,
              onDraw: (region) => setMaskRegions((regions) => (regions === null || regions.length >= MAX_REGIONS ? regions : [...regions, region])),
            }} />
          {frame === null && error === null && <p role="status">Loading the image…</p>}
          <StackSlider position={position} count={stack.length} noun={noun} onChange={setPosition} />
        </div>
        <div className="viewer-stage-side">
          {volume === null && current !== undefined && (
            <PixelReviewPanel instanceId={current.instanceId} canReview={canReview} image={frame}
              mask={{ regions: maskRegions, setRegions: setMaskRegions }} />
          )}
        </div>
      </div>
      {canSeeTags && isDicom && current !== undefined && (
        <>
          <button type="button" className="button button-small" aria-expanded={showTags} onClick={() => setShowTags((s) => !s)} data-testid="toggle-tags">
            {showTags ? 'Hide DICOM tags' : 'Show DICOM tags'}
          </button>
          {showTags && <TagPanel instanceId={current.instanceId} />}
        </>
      )}
    </div>
  );
}
