import { type Dispatch, type KeyboardEvent, type PointerEvent, useEffect, useId, useRef } from 'react';
import type { PixelFrame } from '../../api/images';
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
}

/**
 * The image on a canvas: window/level applied in the browser from the raw pixels, zoom and pan
 * as a canvas transform. Mouse: wheel scrolls the series (Ctrl + wheel zooms), right-drag sets
 * window/level, left-drag does what `view.mode` says. Keyboard: arrows and Page Up/Down scroll,
 * Home/End jump, + and − zoom, R resets.
 */
export function ViewerCanvas({ frame, view, dispatch, onStep, onReset, label }: {
  frame: PixelFrame | null;
  view: ViewState;
  dispatch: Dispatch<ViewAction>;
  onStep: (delta: number | 'first' | 'last') => void;
  onReset: () => void;
  label: string;
}) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const imageRef = useRef<HTMLCanvasElement | null>(null);
  const paintedRef = useRef<{ frame: PixelFrame; window: Window } | null>(null);
  const dragRef = useRef<Drag | null>(null);
  const helpId = useId();
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
    const scale = Math.min(canvas.width / frame.columns, canvas.height / frame.rows) * view.zoom;
    context.setTransform(scale, 0, 0, scale, canvas.width / 2 + view.pan.x - (frame.columns * scale) / 2, canvas.height / 2 + view.pan.y - (frame.rows * scale) / 2);
    context.drawImage(imageRef.current, 0, 0);
  }, [frame, view.window, view.zoom, view.pan]);

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

  function pointerDown(event: PointerEvent<HTMLCanvasElement>): void {
    if (event.button !== 0 && event.button !== 2) return;
    event.currentTarget.setPointerCapture(event.pointerId);
    event.currentTarget.focus();
    dragRef.current = {
      pointerId: event.pointerId, windowing: event.button === 2 || view.mode === 'window',
      startX: event.clientX, startY: event.clientY, lastX: event.clientX, lastY: event.clientY, startWindow: view.window,
    };
  }

  function pointerMove(event: PointerEvent<HTMLCanvasElement>): void {
    const drag = dragRef.current;
    if (drag?.pointerId !== event.pointerId) return;
    const r = ratio();
    if (drag.windowing) {
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
    if (dragRef.current?.pointerId === event.pointerId) dragRef.current = null;
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
      <canvas ref={canvasRef} className={view.mode === 'pan' ? 'viewer-canvas viewer-canvas-pan' : 'viewer-canvas'} width={CANVAS_SIZE} height={CANVAS_SIZE}
        tabIndex={0} role="img" aria-label={label} aria-describedby={helpId} data-testid="viewer-canvas"
        onPointerDown={pointerDown} onPointerMove={pointerMove} onPointerUp={pointerUp} onPointerCancel={pointerUp}
        onContextMenu={(event) => event.preventDefault()} onKeyDown={keyDown} />
      <p id={helpId} className="muted viewer-help">
        Scroll: mouse wheel, arrow keys, Page Up/Down. Window/level: drag (right button always). Zoom: Ctrl + wheel, + and −. Pan: left-drag in pan mode. Reset: R.
      </p>
    </div>
  );
}
