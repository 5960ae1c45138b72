import { type Dispatch, type KeyboardEvent, type PointerEvent, useEffect, useId, useRef, useState } from 'react';
import type { PixelFrame } from '../../api/images';
import type { PixelRegion } from '../../api/research';
import { placement, regionBetween, toImagePoint } from './geometry';
import { draggedWindow, type ViewAction, type ViewState } from './viewerState';
import { paint, type Window } from './windowing';

/** Size of the drawing surface; CSS may show it smaller (pointer moves are scaled back). */
export const CANVAS_SIZE = 512;
const ZOOM_STEP = 1.25;

interface Drag {
  pointerId: number;
  windowing: boolean;
  startX: number;
  startY: number;
  lastX: number;
  lastY: number;
  startWindow: Window | null;
  /** A mask rectangle is being drawn from this image point. */
  drawFrom: { x: number; y: number } | null;
}

/** The mask tool: regions already drawn, and where a newly drawn one goes. */
export interface MaskTool {
  regions: readonly PixelRegion[];
  onDraw: (region: PixelRegion) => void;
}

/**
 * The image on a canvas: window/level applied in the browser from the raw pixels, zoom and pan
 * as a canvas transform. Mouse: wheel scrolls the series (Ctrl + wheel zooms), right-drag sets
 * window/level, left-drag does what `view.mode` says. Keyboard: arrows and Page Up/Down scroll,
 * Home/End jump, + and − zoom, R resets.
 */
export function ViewerCanvas({ frame, view, dispatch, onStep, onReset, label, mask = null }: {
  frame: PixelFrame | null;
  view: ViewState;
  dispatch: Dispatch<ViewAction>;
  onStep: (delta: number | 'first' | 'last') => void;
  onReset: () => void;
  label: string;
  /** When set, a left-drag draws a mask rectangle in image pixels (a right-drag still windows). */
  mask?: MaskTool | null;
}) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const imageRef = useRef<HTMLCanvasElement | null>(null);
  const paintedRef = useRef<{ frame: PixelFrame; window: Window } | null>(null);
  const dragRef = useRef<Drag | null>(null);
  const helpId = useId();
  /** The rectangle under the mouse while a mask region is being drawn. */
  const [sketch, setSketch] = useState<PixelRegion | null>(null);
  // The native wheel listener (non-passive, to stop the page from scrolling) reads the latest props here.
  const latest = useRef({ onStep, dispatch });
  latest.current = { onStep, dispatch };

  useEffect(() => {
    const canvas = canvasRef.current;
    const context = canvas?.getContext('2d');
    if (!canvas || !context) return;
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.fillStyle = '#000';
    context.fillRect(0, 0, canvas.width, canvas.height);
    if (frame === null || view.window === null) return;
    const painted = paintedRef.current;
    if (painted?.frame !== frame || painted.window !== view.window || imageRef.current === null) {
      const image = imageRef.current ?? document.createElement('canvas');
      imageRef.current = image;
      image.width = frame.columns;
      image.height = frame.rows;
      const imageContext = image.getContext('2d');
      if (!imageContext) return;
      const data = imageContext.createImageData(frame.columns, frame.rows);
      paint(frame, view.window, data.data);
      imageContext.putImageData(data, 0, 0);
      paintedRef.current = { frame, window: view.window };
    }
    const at = placement(canvas, frame, view);
    // Non-square pixels (NIfTI slices with their pixel spacing) are stretched to their true aspect.
    context.setTransform(at.scale, 0, 0, at.scaleY, at.left, at.top);
    context.drawImage(imageRef.current, 0, 0);
    // Mask regions in image pixels, under the same transform: what will be blanked, shown as such.
    const regions = [...(mask?.regions ?? []), ...(sketch === null ? [] : [sketch])];
    context.lineWidth = 2 / Math.max(at.scale, at.scaleY);
    for (const region of regions) {
      context.fillStyle = 'rgba(220, 38, 38, 0.35)';
      context.fillRect(region.x, region.y, region.width, region.height);
      context.strokeStyle = '#f87171';
      context.strokeRect(region.x, region.y, region.width, region.height);
    }
  }, [frame, view.window, view.zoom, view.pan, mask?.regions, sketch]);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const wheel = (event: WheelEvent) => {
      event.preventDefault();
      if (event.deltaY === 0) return;
      if (event.ctrlKey) latest.current.dispatch({ type: 'zoom', factor: event.deltaY < 0 ? ZOOM_STEP : 1 / ZOOM_STEP });
      else latest.current.onStep(event.deltaY > 0 ? 1 : -1);
    };
    canvas.addEventListener('wheel', wheel, { passive: false });
    return () => canvas.removeEventListener('wheel', wheel);
  }, []);

  /** Canvas pixels per CSS pixel (the canvas may be drawn smaller than its surface). */
  function ratio(): number {
    const canvas = canvasRef.current;
    const width = canvas?.getBoundingClientRect().width ?? 0;
    return canvas && width > 0 ? canvas.width / width : 1;
  }

  /** The image point under the mouse (null without an image). */
  function imagePoint(event: PointerEvent<HTMLCanvasElement>): { x: number; y: number } | null {
    const canvas = canvasRef.current;
    if (!canvas || frame === null) return null;
    const box = canvas.getBoundingClientRect();
    const r = ratio();
    return toImagePoint(placement(canvas, frame, view), (event.clientX - box.left) * r, (event.clientY - box.top) * r);
  }

  function pointerDown(event: PointerEvent<HTMLCanvasElement>): void {
    if (event.button !== 0 && event.button !== 2) return;
    event.currentTarget.setPointerCapture(event.pointerId);
    event.currentTarget.focus();
    const drawFrom = mask !== null && event.button === 0 ? imagePoint(event) : null;
    dragRef.current = {
      pointerId: event.pointerId, windowing: event.button === 2 || view.mode === 'window',
      startX: event.clientX, startY: event.clientY, lastX: event.clientX, lastY: event.clientY, startWindow: view.window, drawFrom,
    };
  }

  function pointerMove(event: PointerEvent<HTMLCanvasElement>): void {
    const drag = dragRef.current;
    if (drag?.pointerId !== event.pointerId) return;
    const r = ratio();
    if (drag.drawFrom !== null) {
      const to = imagePoint(event);
      if (to !== null && frame !== null) setSketch(regionBetween(drag.drawFrom, to, frame));
    } else if (drag.windowing) {
      if (drag.startWindow !== null && frame?.samples === 1) {
        dispatch({ type: 'window', window: draggedWindow(drag.startWindow, (event.clientX - drag.startX) * r, (event.clientY - drag.startY) * r) });
      }
    } else {
      dispatch({ type: 'pan', dx: (event.clientX - drag.lastX) * r, dy: (event.clientY - drag.lastY) * r });
    }
    drag.lastX = event.clientX;
    drag.lastY = event.clientY;
  }

  function pointerUp(event: PointerEvent<HTMLCanvasElement>): void {
    const drag = dragRef.current;
    if (drag?.pointerId !== event.pointerId) return;
    dragRef.current = null;
    if (drag.drawFrom === null) return;
    const to = imagePoint(event);
    const region = to === null || frame === null ? null : regionBetween(drag.drawFrom, to, frame);
    setSketch(null);
    // A cancelled pointer (the browser took the gesture over) draws nothing.
    if (region !== null && event.type === 'pointerup') mask?.onDraw(region);
  }

  function keyDown(event: KeyboardEvent<HTMLCanvasElement>): void {
    const actions: Record<string, () => void> = {
      ArrowDown: () => onStep(1), ArrowRight: () => onStep(1), PageDown: () => onStep(10),
      ArrowUp: () => onStep(-1), ArrowLeft: () => onStep(-1), PageUp: () => onStep(-10),
      Home: () => onStep('first'), End: () => onStep('last'),
      '+': () => dispatch({ type: 'zoom', factor: ZOOM_STEP }), '=': () => dispatch({ type: 'zoom', factor: ZOOM_STEP }),
      '-': () => dispatch({ type: 'zoom', factor: 1 / ZOOM_STEP }), r: onReset, R: onReset,
    };
    const action = actions[event.key];
    if (action === undefined) return;
    event.preventDefault();
    action();
  }

  return (
    <div className="viewer-canvas-wrap">
      <canvas ref={canvasRef} className={mask === null && view.mode === 'pan' ? 'viewer-canvas viewer-canvas-pan' : 'viewer-canvas'} width={CANVAS_SIZE} height={CANVAS_SIZE}
        tabIndex={0} role="img" aria-label={label} aria-describedby={helpId} data-testid="viewer-canvas"
        onPointerDown={pointerDown} onPointerMove={pointerMove} onPointerUp={pointerUp} onPointerCancel={pointerUp}
        onContextMenu={(event) => event.preventDefault()} onKeyDown={keyDown} />
      <p id={helpId} className="muted viewer-help">
        {mask !== null && 'Mask tool: left-drag draws a rectangle to blank. '}
        Scroll: mouse wheel, arrow keys, Page Up/Down. Window/level: drag (right button always). Zoom: Ctrl + wheel, + and −. Pan: left-drag in pan mode. Reset: R.
      </p>
    </div>
  );
}
