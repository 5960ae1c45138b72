import { useEffect, useRef, useState, type FormEvent } from 'react';
import { getDeidSettings, saveDeidSettings, type DeidSettings } from '../../api/deidSettings';
import { ApiError, ErrorCode } from '../../api/errors';
import { AdminOnly } from '../../components/AdminOnly';
import { ErrorMessage } from '../../components/ErrorMessage';
import { TextAreaField } from '../../components/TextAreaField';
import { formatDateTime } from '../../format';
import { useAction } from '../../hooks/useAction';
import { useLoaded } from '../../hooks/useLoaded';
import {
  checkDraft, draftOf, emptyDevice, emptySopClass, LIMITS, serverFieldErrors,
  type DeidDraft, type DeviceDraft, type FieldErrors, type SopClassDraft,
} from './deidDraft';
import { ListError, RowField } from './DeidFields';
import { MaskRules } from './MaskRules';

/** `/admin/de-identification` (Administrator, `deid.configure`): what is held for pixel review, the masks, the allow-lists. */
export function DeidSettingsPage() {
  return (
    <AdminOnly title="De-identification" permission="deid.configure">
      <DeidSettingsLoader />
    </AdminOnly>
  );
}

function DeidSettingsLoader() {
  const { value, error, load } = useLoaded(getDeidSettings);
  useEffect(() => {
    void load();
  }, [load]);
  if (value === null) return error === null ? <p role="status">Loading the de-identification settings…</p> : <ErrorMessage error={error} />;
  return <DeidSettingsForm initial={value} />;
}

function DeidSettingsForm({ initial }: { initial: DeidSettings }) {
  const [draft, setDraft] = useState<DeidDraft>(() => draftOf(initial));
  const [updatedAt, setUpdatedAt] = useState(initial.updatedAt);
  /** Set by a save refused by the form's checks: from then on the fields are checked as they change. */
  const [checking, setChecking] = useState(false);
  const [saved, setSaved] = useState(false);
  const { run, pending, error, setError } = useAction();
  const formRef = useRef<HTMLFormElement>(null);
  /** Set after a refused save: the first marked field takes the focus once it is drawn. */
  const [focusInvalid, setFocusInvalid] = useState(false);

  useEffect(() => {
    if (!focusInvalid) return;
    setFocusInvalid(false);
    formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [focusInvalid]);

  const edit = (patch: Partial<DeidDraft>): void => {
    setDraft((current) => ({ ...current, ...patch }));
    setSaved(false);
  };

  async function submit(event: FormEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    setSaved(false);
    const checked = checkDraft(draft);
    if (Object.keys(checked.errors).length > 0) {
      setChecking(true);
      setError(null);
      setFocusInvalid(true);
      return;
    }
    setChecking(false);
    // A 403 step-up answer opens the shared step-up dialog; the client retries once it succeeds.
    const ok = await run(async () => {
      const stored = await saveDeidSettings(checked.body);
      setDraft(draftOf(stored));
      setUpdatedAt(stored.updatedAt);
    });
    setSaved(ok);
  }

  const errors: FieldErrors = checking ? checkDraft(draft).errors : {};
  // The server's field problems go to their fields; the banner keeps the message and what has no field.
  const placed = error === null || error.fields.length === 0 ? null : serverFieldErrors(error, draft);
  const shownErrors: FieldErrors = placed === null ? errors : { ...placed.errors, ...errors };
  const banner = error === null || placed === null ? error : new ApiError({
    status: error.status, code: error.code, fields: placed.others,
    message: error.code === ErrorCode.validation && placed.others.length === 0 ? 'Nothing was saved: check the fields marked below.' : error.message,
    ...(error.requestId === undefined ? {} : { requestId: error.requestId }),
  });
  const clientProblems = Object.keys(errors).length;

  return (
    <>
      <p className="lead">
        Before images leave Clarus for AI models or research exports, identifying data is removed from their files (DICOM PS3.15
        Basic Profile). What this page sets decides which images wait for a person to check their pixels, and which text may stay.
      </p>
      <p className="alert alert-info" data-testid="deid-step-up-note">
        Mask rules and allow-lists decide what leaves without a reviewer, so saving asks you to confirm with your second factor.
      </p>
      <p className="muted" data-testid="deid-updated-at">
        {updatedAt === null ? 'Never changed: nothing is configured beyond the built-in rules.' : `Last changed ${formatDateTime(updatedAt)}.`}
      </p>
      <form ref={formRef} onSubmit={(event) => void submit(event)} noValidate aria-label="De-identification settings">
        <section className="panel" aria-labelledby="deid-devices-title">
          <h2 id="deid-devices-title">Device models that burn text into pixels</h2>
          <p className="hint deid-section-hint">
            Images from these devices are held for pixel review (or a mask rule below). Manufacturer and model match when the
            file&apos;s Manufacturer and Manufacturer&apos;s Model Name contain them, ignoring case; leave the manufacturer empty for any.
          </p>
          <DeviceModels devices={draft.deviceModels} errors={shownErrors} onChange={(deviceModels) => edit({ deviceModels })} />
        </section>

        <section className="panel" aria-labelledby="deid-sop-title">
          <h2 id="deid-sop-title">SOP classes that carry text</h2>
          <p className="hint deid-section-hint">
            Ultrasound and secondary capture images are always held. Add the SOP Class UIDs of other kinds of images that show text
            in their pixels.
          </p>
          <SopClasses classes={draft.sopClasses} errors={shownErrors} onChange={(sopClasses) => edit({ sopClasses })} />
        </section>

        <section className="panel" aria-labelledby="deid-masks-title">
          <h2 id="deid-masks-title">Pixel masks</h2>
          <p className="hint deid-section-hint">
            An image of this device model and exactly this size has these rectangles blanked (set to black) in every frame, and then
            leaves without a reviewer. Uncompressed images only; the stored image is not changed.
          </p>
          <MaskRules masks={draft.masks} errors={shownErrors} onChange={(masks) => edit({ masks })} />
        </section>

        <section className="panel" aria-labelledby="deid-allow-title">
          <h2 id="deid-allow-title">Text the Clean options keep</h2>
          <TextAreaField id="deid-textAllowList" label="Allow-list (one value per line)" value={draft.allowList}
            onChange={(allowList) => edit({ allowList })} error={shownErrors.textAllowList} rows={6} spellCheck={false}
            hint={`With Clean Descriptors, Structured Content or Graphics, free text stays only when the whole value is one of these (ignoring case and extra spaces); everything else is removed or replaced. Up to ${LIMITS.allowList} values of at most ${LIMITS.allowListValue} characters.`}
            testId="deid-allow-list" />
        </section>

        <section className="panel" aria-labelledby="deid-private-title">
          <h2 id="deid-private-title">Retain Safe Private</h2>
          <TextAreaField id="deid-safePrivate" label="Private attributes to keep (one per line)" value={draft.safePrivate}
            onChange={(safePrivate) => edit({ safePrivate })} error={shownErrors.safePrivate} rows={5} spellCheck={false}
            hint="With the Retain Safe Private option, only these private attributes stay: CREATOR:gggg,xxee — the private creator, an odd group and the element byte, e.g. GEMS_PARM_01:0043,xx27. Add only attributes you have checked carry no identifying data."
            testId="deid-safe-private" />
        </section>

        <ErrorMessage error={banner} />
        {clientProblems > 0 && (
          <p className="alert alert-error" role="alert" data-testid="deid-client-errors">
            Nothing was saved: {clientProblems === 1 ? 'one field needs' : `${clientProblems} fields need`} correcting (marked below each).
          </p>
        )}
        {saved && (
          <p className="alert alert-success" role="status" data-testid="deid-saved">
            De-identification settings saved{updatedAt === null ? '' : ` (${formatDateTime(updatedAt)})`}. They apply to the next AI input and
            research export.
          </p>
        )}
        <div className="actions">
          <button type="submit" className="button primary" disabled={pending} data-testid="deid-save">
            {pending ? 'Saving…' : 'Save settings'}
          </button>
        </div>
      </form>
    </>
  );
}

function DeviceModels({ devices, errors, onChange }: { devices: DeviceDraft[]; errors: FieldErrors; onChange: (devices: DeviceDraft[]) => void }) {
  const full = devices.length >= LIMITS.deviceModels;
  return (
    <>
      <ListError path="pixelPolicy.deviceModels" error={errors['pixelPolicy.deviceModels']} />
      {devices.length === 0 ? (
        <p className="muted" data-testid="deid-devices-empty">No device model configured.</p>
      ) : (
        <ol className="deid-rows">
          {devices.map((device, index) => {
            const base = `pixelPolicy.deviceModels.${index}`;
            const name = `Device model ${index + 1}`;
            const set = (patch: Partial<DeviceDraft>): void => onChange(devices.map((d, i) => (i === index ? { ...d, ...patch } : d)));
            return (
              <li key={device.key} className="row-fields" data-testid="deid-device">
                <RowField path={`${base}.manufacturer`} label="Manufacturer (optional)" context={name} value={device.manufacturer}
                  onChange={(manufacturer) => set({ manufacturer })} error={errors[`${base}.manufacturer`]} maxLength={LIMITS.name}
                  autoComplete="off" testId="deid-device-manufacturer" />
                <RowField path={`${base}.model`} label="Model" context={name} value={device.model} onChange={(model) => set({ model })}
                  error={errors[`${base}.model`]} maxLength={LIMITS.name} autoComplete="off" testId="deid-device-model" />
                <button type="button" className="button button-small row-remove" onClick={() => onChange(devices.filter((_, i) => i !== index))}
                  aria-label={`Remove device model ${index + 1}`} data-testid="deid-remove-device">
                  Remove
                </button>
              </li>
            );
          })}
        </ol>
      )}
      <div className="actions">
        <button type="button" className="button" disabled={full} onClick={() => onChange([...devices, emptyDevice()])} data-testid="deid-add-device">
          Add device model
        </button>
      </div>
      {full && <p className="hint">At most {LIMITS.deviceModels} device models.</p>}
    </>
  );
}

function SopClasses({ classes, errors, onChange }: { classes: SopClassDraft[]; errors: FieldErrors; onChange: (classes: SopClassDraft[]) => void }) {
  const full = classes.length >= LIMITS.sopClasses;
  return (
    <>
      <ListError path="pixelPolicy.extraSopClasses" error={errors['pixelPolicy.extraSopClasses']} />
      {classes.length === 0 ? (
        <p className="muted" data-testid="deid-sop-empty">No SOP class configured.</p>
      ) : (
        <ol className="deid-rows">
          {classes.map((sop, index) => {
            const path = `pixelPolicy.extraSopClasses.${index}`;
            return (
              <li key={sop.key} className="row-fields" data-testid="deid-sop">
                <RowField path={path} label="SOP Class UID" context={`SOP class ${index + 1}`} value={sop.uid} className="row-field-wide"
                  onChange={(uid) => onChange(classes.map((c, i) => (i === index ? { ...c, uid } : c)))} error={errors[path]}
                  maxLength={64} autoComplete="off" spellCheck={false} inputMode="decimal" testId="deid-sop-uid" />
                <button type="button" className="button button-small row-remove" onClick={() => onChange(classes.filter((_, i) => i !== index))}
                  aria-label={`Remove SOP class ${index + 1}`} data-testid="deid-remove-sop">
                  Remove
                </button>
              </li>
            );
          })}
        </ol>
      )}
      <div className="actions">
        <button type="button" className="button" disabled={full} onClick={() => onChange([...classes, emptySopClass()])} data-testid="deid-add-sop">
          Add SOP class
        </button>
      </div>
      {full && <p className="hint">At most {LIMITS.sopClasses} SOP classes.</p>}
    </>
  );
}
