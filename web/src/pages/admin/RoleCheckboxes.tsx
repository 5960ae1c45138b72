import { ROLES, type Role } from '../../api/types';

/** A fieldset of role checkboxes; `error` is shown under the legend. */
export function RoleCheckboxes({
  idPrefix,
  legend,
  value,
  onChange,
  error,
}: {
  idPrefix: string;
  legend: string;
  value: readonly Role[];
  onChange: (roles: Role[]) => void;
  error?: string | undefined;
}) {
  function toggle(role: Role, checked: boolean): void {
    // Keep the canonical order whatever the click order.
    onChange(ROLES.filter((r) => (r === role ? checked : value.includes(r))));
  }
  const errorId = `${idPrefix}-roles-error`;
  return (
    <fieldset className="checkboxes" aria-describedby={error === undefined ? undefined : errorId}>
      <legend>{legend}</legend>
      {error !== undefined && (
        <p id={errorId} className="field-error">
          {error}
        </p>
      )}
      {ROLES.map((role) => {
        const id = `${idPrefix}-role-${role}`;
        return (
          <div key={role} className="checkbox">
            <input
              id={id}
              type="checkbox"
              checked={value.includes(role)}
              onChange={(event) => toggle(role, event.target.checked)}
              data-testid={`${idPrefix}-role-${role}`}
            />
            <label htmlFor={id}>{role}</label>
          </div>
        );
      })}
    </fieldset>
  );
}
