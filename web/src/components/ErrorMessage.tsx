import { type ApiError, ErrorCode } from '../api/errors';

/**
 * Shows an API error's message (and, for support, its request id) in an alert region.
 * `fieldNames` are the fields the form shows inline; problems with other fields are listed here.
 */
export function ErrorMessage({ error, fieldNames = [] }: { error: ApiError | null; fieldNames?: readonly string[] }) {
  if (error === null) return null;
  const others = error.otherFieldMessages(fieldNames);
  // A form check already shown next to its field needs no second banner.
  if (error.code === ErrorCode.client && error.fields.length > 0 && others.length === 0) return null;
  return (
    <div className="alert alert-error" role="alert" data-testid="error">
      <p>{error.message}</p>
      {others.length > 0 && (
        <ul>
          {others.map((message) => (
            <li key={message}>{message}</li>
          ))}
        </ul>
      )}
      {error.requestId !== undefined && <p className="alert-reference">Reference: {error.requestId}</p>}
    </div>
  );
}
