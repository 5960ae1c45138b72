import { useEffect, useId, useState, type FormEvent } from 'react';
import { type ApiError, toApiError } from '../../api/errors';
import { decidePixelReview, getPixelReview, type HoldReason, type PixelRegion, type PixelReview } from '../../api/research';
import { ErrorMessage } from '../../components/ErrorMessage';
import { formatDateTime } from '../../format';
import { useAction } from '../../hooks/useAction';
import { useMe } from '../../session/SessionContext';
import { actorName } from '../research/researchFormat';
import { clippedRegion } from './geometry';

/** The API's limit of rectangles per decision. */
export const MAX_REGIONS = 32;

/** Why an instance is held, in words (DEID-2; docs/deidentification.md "Burned-in text"). */
const holdReasons: Record<HoldReason, string> = {
  'burned-in-annotation': 'the file says text is burned into its pixels (Burned In Annotation YES)',
  ultrasound: 'ultrasound images usually carry text (names, dates) in their pixels',
  'secondary-capture': 'a secondary capture (a screenshot or a scanned document) may show text',
  'configured-sop-class': 'your organisation holds this kind of image for review',
  'configured-device-model': 'your organisation knows this device model to burn text into its images',
};

/** A hold reason in words; reasons this app does not know yet (a future OCR detector) still read sensibly. */
export function describeHold(reason: string | null): string {
  return (holdReasons as Record<string, string | undefined>)[reason ?? ''] ?? 'it may carry text in its pixels';
}

/** `regions` is the mask being drawn (null: not masking); the canvas adds to it while it is set. */
export interface MaskDraft {
  regions: PixelRegion[] | null;
  setRegions: (regions: PixelRegion[] | null) => void;
}

/**
 * The pixel review of the instance shown (DEID-2): a banner while it is held from AI and research
 * export, the reviewer's decision once taken, and for reviewers (Administrators, Radiologists) the
 * two ways out of the hold: confirming that no text is in the pixels, or masking rectangles drawn
 * on the canvas. Both are audited on the server.
 */
export function PixelReviewPanel({ instanceId, canReview, image, mask }: {
  instanceId: string;
  canReview: boolean;
  /** Size of the stored image (the frame shown), to keep typed-in regions inside it. */
  image: { columns: number; rows: number } | null;
  mask: MaskDraft;
}) {
  const [review, setReview] = useState<PixelReview | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const deciding = useAction();
  const me = useMe();
  const { setRegions } = mask;

  useEffect(() => {
    let current = true;
    setReview(null);
    setLoadError(null);
    setRegions(null);
    getPixelReview(instanceId).then(
      (found) => current && setReview(found),
      (caught: unknown) => current && setLoadError(toApiError(caught)),
    );
    return () => {
      current = false;
    };
  }, [instanceId, setRegions]);

  async function decide(body: Parameters<typeof decidePixelReview>[1]): Promise<void> {
    if (await deciding.run(async () => setReview(await decidePixelReview(instanceId, body)))) setRegions(null);
  }

  if (loadError !== null) return <ErrorMessage error={loadError} />;
  if (review === null || !review.hold) return null;
  const reason = describeHold(review.reason);

  if (review.decision !== null) {
    const { decision } = review;
    const by = actorName(decision.reviewedBy, me.user.id);
    const what = decision.decision === 'masked'
      ? `${decision.regions.length} ${decision.regions.length === 1 ? 'region' : 'regions'} masked`
      : 'Confirmed free of text in its pixels';
    return (
      <div className="alert alert-success" role="status" data-testid="pixel-review-decision" data-decision={decision.decision}>
        <p>
          <strong>Pixel review: {what}</strong> by {by} on {formatDateTime(decision.reviewedAt)}. The image may be used for AI and
          research export{decision.decision === 'masked' ? ' with those regions blanked' : ''}.
        </p>
      </div>
    );
  }
  if (review.configuredMask) {
    return (
      <div className="alert alert-info" role="status" data-testid="pixel-review-configured">
        <p>A mask rule of your organisation covers this image: its text regions are blanked before AI and research export.</p>
      </div>
    );
  }
  return (
    <div className="banner-warning" data-testid="pixel-hold-banner">
      <strong data-testid="pixel-hold-reason">Held from AI and research export: {reason}</strong>
      {/* The server's detail repeats what the reason says for ultrasound and secondary capture; for the others it names what matched. */}
      {review.detail !== null && review.reason !== 'ultrasound' && review.reason !== 'secondary-capture' && <p className="banner-detail">{review.detail}</p>}
      <ErrorMessage error={deciding.error} />
      {canReview && mask.regions === null && (
        <div className="actions">
          <button type="button" className="button" disabled={deciding.pending} onClick={() => void decide({ decision: 'confirmed-clean' })}
            data-testid="confirm-clean">
            Confirm no text in pixels
          </button>
          <button type="button" className="button" disabled={deciding.pending} onClick={() => setRegions([])} data-testid="start-mask">
            Mask regions…
          </button>
        </div>
      )}
      {canReview && mask.regions !== null && (
        <MaskEditor regions={mask.regions} image={image} pending={deciding.pending} onChange={setRegions}
          onApply={(regions) => void decide({ decision: 'masked', regions })} />
      )}
      {!canReview && <p className="banner-detail">An administrator or a radiologist must confirm it free of text or mask it.</p>}
    </div>
  );
}

/** The mask being drawn: its rectangles (removable), typed-in rectangles for keyboard users, Apply and Cancel. */
function MaskEditor({ regions, image, pending, onChange, onApply }: {
  regions: PixelRegion[];
  image: { columns: number; rows: number } | null;
  pending: boolean;
  onChange: (regions: PixelRegion[] | null) => void;
  onApply: (regions: PixelRegion[]) => void;
}) {
  const headingId = useId();
  const [typed, setTyped] = useState({ x: '', y: '', width: '', height: '' });
  const [typedError, setTypedError] = useState<string | null>(null);
  const full = regions.length >= MAX_REGIONS;

  function addTyped(event: FormEvent<HTMLFormElement>): void {
    event.preventDefault();
    const region = { x: Number(typed.x), y: Number(typed.y), width: Number(typed.width), height: Number(typed.height) };
    const clipped = image === null || Object.values(typed).some((v) => v.trim() === '') ? null : clippedRegion(region, image);
    if (clipped === null) {
      setTypedError(`Give whole numbers that describe a rectangle inside the image${image === null ? '' : ` (${image.columns} × ${image.rows} pixels)`}.`);
      return;
    }
    setTypedError(null);
    onChange([...regions, clipped]);
    setTyped({ x: '', y: '', width: '', height: '' });
  }

  return (
    <section className="mask-editor" aria-labelledby={headingId} data-testid="mask-editor">
      <h2 id={headingId} className="mask-title">Mask regions</h2>
      <p className="banner-detail">
        Drag on the image to draw a rectangle over each text (zoom and pan first if it helps). The rectangles are blanked in every
        frame before AI and research export; the stored image is not changed.
      </p>
      {regions.length === 0 ? (
        <p className="banner-detail" data-testid="mask-empty">No region drawn yet.</p>
      ) : (
        <ol className="mask-regions" data-testid="mask-regions">
          {regions.map((region, index) => (
            <li key={`${region.x},${region.y},${region.width},${region.height},${index}`} data-testid="mask-region">
              <span>x {region.x}, y {region.y}, {region.width} × {region.height} pixels</span>
              <button type="button" className="button button-small" onClick={() => onChange(regions.filter((_, i) => i !== index))}
                aria-label={`Remove region ${index + 1}`}>
                Remove
              </button>
            </li>
          ))}
        </ol>
      )}
      <form className="mask-typed" onSubmit={addTyped} noValidate aria-label="Add a region by its coordinates">
        {(['x', 'y', 'width', 'height'] as const).map((name) => (
          <label key={name} className="mask-number">
            {name}
            <input type="number" min={name === 'x' || name === 'y' ? 0 : 1} step={1} inputMode="numeric" value={typed[name]}
              onChange={(event) => setTyped({ ...typed, [name]: event.target.value })} disabled={full} />
          </label>
        ))}
        <button type="submit" className="button button-small" disabled={full}>Add region</button>
      </form>
      {typedError !== null && <p className="banner-detail" role="alert">{typedError}</p>}
      {full && <p className="banner-detail">At most {MAX_REGIONS} regions per image.</p>}
      <div className="actions">
        <button type="button" className="button primary" disabled={pending || regions.length === 0} onClick={() => onApply(regions)}
          data-testid="apply-mask">
          {pending ? 'Applying…' : 'Apply mask'}
        </button>
        <button type="button" className="button" disabled={pending} onClick={() => onChange(null)} data-testid="cancel-mask">
          Cancel
        </button>
      </div>
    </section>
  );
}
