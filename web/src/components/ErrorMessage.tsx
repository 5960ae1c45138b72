import { type ApiError, ErrorCode } from '../api/errors';

/**
 * Shows an API error's message (and, for support, its request id) in an alert region.
 * `fieldNames` are the fields the form shows inline; problems with other fields are listed here.
 */
export function ErrorMessage({ error, fieldNames = [] }: { error: ApiError | null; fieldNames?: readonly string[] }) {
  if (error === null) return null;
  const others = error.otherFieldMessages(fieldNames);
  // A form check already shown next to its field needs no second banner.
  const allInline = error.fields.length > 0 && others.length === 0;
  if (error.code === ErrorCode.client && allInline) return null;
  // The server's "The request is not valid." says less than the messages under the fields.
  const message = error.code === ErrorCode.validation && allInline ? 'Check the fields marked below.' : error.message;
  return (
    <div className="alert alert-error" role="alert" data-testid="error">
      <p>{message}</p>
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
