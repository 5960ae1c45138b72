import type { TenantKey } from '../../api/keys';
import { formatDay } from '../../format';
import { purposeLabels, sortedKeys, stateLabels } from './keyRotation';

function days(n: number): string {
  return n === 1 ? '1 day' : `${n} days`;
}

/** The organisation's key versions: purpose, version, state, age, next rotation, patient keys wrapped. */
export function KeysTable({ keys }: { keys: readonly TenantKey[] }) {
  return (
    <div className="table-wrap">
      <table className="table" data-testid="keys-table">
        <caption className="visually-hidden">Key versions of this organisation</caption>
        <thead>
          <tr>
            <th scope="col">Purpose</th>
            <th scope="col">Version</th>
            <th scope="col">State</th>
            <th scope="col">Age</th>
            <th scope="col">Next rotation</th>
            <th scope="col">Patient keys wrapped</th>
          </tr>
        </thead>
        <tbody>
          {sortedKeys(keys).map((key) => {
            const state = stateLabels[key.state];
            return (
              <tr key={`${key.purpose}-${key.version}`} data-testid="key-row" data-purpose={key.purpose} data-version={key.version} data-state={key.state}>
                <th scope="row">{purposeLabels[key.purpose]}</th>
                <td>{key.version}</td>
                <td>
                  <span className={`badge ${state.tone}`}>{state.label}</span>
                </td>
                <td>{days(key.ageDays)}</td>
                <td>{key.nextRotation === null ? '—' : formatDay(key.nextRotation)}</td>
                <td data-testid="key-patient-keys">{key.patientKeys ?? '—'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
