import type { Plane } from '../../api/images';

const planes: readonly Plane[] = ['axial', 'coronal', 'sagittal'];

/** The plane a NIfTI volume is cut in. */
export function PlanePicker({ plane, onChange }: { plane: Plane; onChange: (plane: Plane) => void }) {
  return (
    <fieldset className="viewer-group">
      <legend>Plane</legend>
      {planes.map((p) => (
        <label key={p} className="viewer-radio">
          <input type="radio" name="plane" value={p} checked={plane === p} onChange={() => onChange(p)} data-testid={`plane-${p}`} />
          {p[0]?.toUpperCase()}{p.slice(1)}
        </label>
      ))}
    </fieldset>
  );
}
