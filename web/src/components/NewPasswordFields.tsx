import { TextField } from './TextField';

/** The shortest password the server accepts (NIST SP 800-63B, as enforced by the server). */
export const MIN_PASSWORD_LENGTH = 12;

/** Client-side checks before a new password is sent; the server still has the last word. */
export function newPasswordProblems(password: string, confirmation: string): { password?: string; confirm?: string } {
  if ([...password].length < MIN_PASSWORD_LENGTH) return { password: `Use at least ${MIN_PASSWORD_LENGTH} characters.` };
  if (password !== confirmation) return { confirm: 'The two passwords do not match.' };
  return {};
}

interface NewPasswordFieldsProps {
  idPrefix: string;
  password: string;
  confirmation: string;
  onPassword: (value: string) => void;
  onConfirmation: (value: string) => void;
  passwordError?: string | undefined;
  confirmError?: string | undefined;
  label?: string;
}

/** "New password" and "Confirm password" inputs with the passphrase hint. */
export function NewPasswordFields(props: NewPasswordFieldsProps) {
  const label = props.label ?? 'Password';
  return (
    <>
      <TextField
        id={`${props.idPrefix}-password`}
        name="new-password"
        label={label}
        type="password"
        value={props.password}
        onChange={props.onPassword}
        autoComplete="new-password"
        minLength={MIN_PASSWORD_LENGTH}
        required
        hint={`At least ${MIN_PASSWORD_LENGTH} characters. A long passphrase of several unrelated words is easy to remember and hard to guess; no special characters are required.`}
        error={props.passwordError}
        testId="new-password"
      />
      <TextField
        id={`${props.idPrefix}-confirm`}
        name="confirm-password"
        label={`Confirm ${label.toLowerCase()}`}
        type="password"
        value={props.confirmation}
        onChange={props.onConfirmation}
        autoComplete="new-password"
        required
        error={props.confirmError}
        testId="confirm-password"
      />
    </>
  );
}
