import { useId } from 'react';

/** Which image of the stack is shown, as a slider (also moves with the wheel and keys on the canvas). */
export function StackSlider({ position, count, noun, onChange }: { position: number; count: number; noun: string; onChange: (position: number) => void }) {
  const id = useId();
  if (count <= 1) return null;
  return (
    <div className="stack-slider">
      <label htmlFor={id}>{noun}</label>
      <input id={id} type="range" min={1} max={count} value={position + 1} onChange={(event) => onChange(Number(event.currentTarget.value) - 1)} data-testid="stack-slider" />
      <output htmlFor={id} data-testid="stack-position">
        {position + 1} of {count}
      </output>
    </div>
  );
}
