import { blankedArea, emptyMask, emptyRegion, LIMITS, previewRegion, wholeNumber, type FieldErrors, type MaskDraft, type RegionDraft } from './deidDraft';
import { ListError, numberInput, RowField } from './DeidFields';

/** The preview's largest size on the page, in CSS pixels. */
const PREVIEW = { width: 240, height: 180 };

/**
 * Section 3: mask rules (RSNA CTP-style). Each rule names a device model and an image size, and the
 * rectangles blanked in every frame of such an image; a preview shows the image's outline with them.
 */
export function MaskRules({ masks, errors, onChange }: { masks: MaskDraft[]; errors: FieldErrors; onChange: (masks: MaskDraft[]) => void }) {
  const full = masks.length >= LIMITS.masks;
  return (
    <>
      <ListError path="pixelPolicy.masks" error={errors['pixelPolicy.masks']} />
      {masks.length === 0 ? (
        <p className="muted" data-testid="deid-masks-empty">No mask rule: every held image waits for a reviewer.</p>
      ) : (
        <ol className="deid-rules">
          {masks.map((mask, index) => (
            <li key={mask.key}>
              <MaskRule mask={mask} index={index} errors={errors}
                onChange={(next) => onChange(masks.map((m, i) => (i === index ? next : m)))}
                onRemove={() => onChange(masks.filter((_, i) => i !== index))} />
            </li>
          ))}
        </ol>
      )}
      <div className="actions">
        <button type="button" className="button" disabled={full} onClick={() => onChange([...masks, emptyMask()])} data-testid="deid-add-mask">
          Add mask rule
        </button>
      </div>
      {full && <p className="hint">At most {LIMITS.masks} mask rules.</p>}
    </>
  );
}

function MaskRule({ mask, index, errors, onChange, onRemove }: {
  mask: MaskDraft;
  index: number;
  errors: FieldErrors;
  onChange: (mask: MaskDraft) => void;
  onRemove: () => void;
}) {
  const base = `pixelPolicy.masks.${index}`;
  const name = `Mask rule ${index + 1}`;
  const set = (patch: Partial<MaskDraft>): void => onChange({ ...mask, ...patch });
  const setRegion = (at: number, next: RegionDraft): void => set({ regions: mask.regions.map((r, i) => (i === at ? next : r)) });
  const full = mask.regions.length >= LIMITS.regions;
  return (
    <fieldset className="deid-rule" data-testid="deid-mask">
      <legend>{name}</legend>
      <div className="deid-rule-body">
        <div className="deid-rule-fields">
          <div className="row-fields">
            <RowField path={`${base}.manufacturer`} label="Manufacturer (optional)" context={name} value={mask.manufacturer}
              onChange={(manufacturer) => set({ manufacturer })} error={errors[`${base}.manufacturer`]} maxLength={LIMITS.name}
              autoComplete="off" testId="deid-mask-manufacturer" />
            <RowField path={`${base}.model`} label="Model" context={name} value={mask.model} onChange={(model) => set({ model })}
              error={errors[`${base}.model`]} maxLength={LIMITS.name} autoComplete="off" testId="deid-mask-model" />
          </div>
          <div className="row-fields">
            <RowField path={`${base}.rows`} label="Rows (height)" context={name} value={mask.rows} onChange={(rows) => set({ rows })}
              error={errors[`${base}.rows`]} className="row-field-number" testId="deid-mask-rows" {...numberInput} />
            <RowField path={`${base}.columns`} label="Columns (width)" context={name} value={mask.columns}
              onChange={(columns) => set({ columns })} error={errors[`${base}.columns`]} className="row-field-number"
              testId="deid-mask-columns" {...numberInput} />
          </div>
          <h4 className="deid-rule-subtitle">Rectangles to blank (pixels from the top left corner)</h4>
          <ListError path={`${base}.regions`} error={errors[`${base}.regions`]} />
          <ol className="deid-regions">
            {mask.regions.map((region, at) => (
              <li key={region.key} data-testid="deid-region">
                <RegionFields region={region} path={`${base}.regions.${at}`} context={`${name}, rectangle ${at + 1}`} errors={errors}
                  onChange={(next) => setRegion(at, next)} />
                <button type="button" className="button button-small row-remove" onClick={() => set({ regions: mask.regions.filter((_, i) => i !== at) })}
                  aria-label={`Remove rectangle ${at + 1} of mask rule ${index + 1}`} data-testid="deid-remove-region">
                  Remove
                </button>
              </li>
            ))}
          </ol>
          <div className="actions">
            <button type="button" className="button button-small" disabled={full} onClick={() => set({ regions: [...mask.regions, emptyRegion()] })}
              aria-label={`Add a rectangle to mask rule ${index + 1}`} data-testid="deid-add-region">
              Add rectangle
            </button>
            <button type="button" className="button button-small danger" onClick={onRemove} aria-label={`Remove mask rule ${index + 1}`}
              data-testid="deid-remove-mask">
              Remove rule
            </button>
          </div>
          {full && <p className="hint">At most {LIMITS.regions} rectangles per rule.</p>}
        </div>
        <MaskPreview mask={mask} name={name} />
      </div>
    </fieldset>
  );
}

function RegionFields({ region, path, context, errors, onChange }: {
  region: RegionDraft;
  path: string;
  context: string;
  errors: FieldErrors;
  onChange: (region: RegionDraft) => void;
}) {
  const labels = { x: 'x', y: 'y', width: 'Width', height: 'Height' } as const;
  return (
    <div className="row-fields">
      {(['x', 'y', 'width', 'height'] as const).map((name) => (
        <RowField key={name} path={`${path}.${name}`} label={labels[name]} context={context} value={region[name]}
          onChange={(value) => onChange({ ...region, [name]: value })} error={errors[`${path}.${name}`]} className="row-field-number"
          testId={`deid-region-${name}`} {...numberInput} />
      ))}
    </div>
  );
}

/**
 * The image of the rule's size, scaled down, with its rectangles drawn where they blank it (clipped
 * to the image). SVG attributes only: the Content Security Policy allows no inline styles.
 */
export function MaskPreview({ mask, name }: { mask: MaskDraft; name: string }) {
  const rows = wholeNumber(mask.rows);
  const columns = wholeNumber(mask.columns);
  if (rows === null || columns === null || rows < 1 || columns < 1) {
    return (
      <div className="deid-preview deid-preview-empty" data-testid="deid-mask-preview-empty">
        <p className="hint">Give rows and columns to see a preview.</p>
      </div>
    );
  }
  const regions = mask.regions.map((region) => previewRegion(region, { rows, columns })).filter((r) => r !== null);
  const scale = Math.min(PREVIEW.width / columns, PREVIEW.height / rows);
  const width = Math.max(1, Math.round(columns * scale));
  const height = Math.max(1, Math.round(rows * scale));
  const share = Math.round((blankedArea(regions) / (rows * columns)) * 1000) / 10;
  const summary = `${columns} × ${rows} pixels, ${regions.length} ${regions.length === 1 ? 'rectangle' : 'rectangles'} blanked`;
  return (
    <figure className="deid-preview" data-testid="deid-mask-preview">
      <svg role="img" aria-label={`Preview of ${name}: ${summary}`} width={width} height={height} viewBox={`0 0 ${columns} ${rows}`}
        preserveAspectRatio="none" className="deid-preview-image">
        <rect x={0} y={0} width={columns} height={rows} className="deid-preview-frame" vectorEffect="non-scaling-stroke" />
        {regions.map((r, i) => (
          <rect key={i} x={r.x} y={r.y} width={r.width} height={r.height} className="deid-preview-region" vectorEffect="non-scaling-stroke"
            data-testid="deid-mask-preview-region" />
        ))}
      </svg>
      <figcaption className="hint" data-testid="deid-mask-preview-caption">
        {summary}: {share}% of the image.
      </figcaption>
    </figure>
  );
}
