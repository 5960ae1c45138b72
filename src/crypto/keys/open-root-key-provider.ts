import { LocalRootKeyProvider } from './local-root-key.ts';
import { Pkcs11RootKeyProvider } from './pkcs11-root-key.ts';
import type { RootKeyProvider } from './root-key-provider.ts';

/**
 * Which root-key provider to open, from configuration (CLARUS_KEY_PROVIDER and its variables, see
 * docs/key-providers.md). The local keys are decoded bytes; the PIN is the PKCS#11 user PIN.
 */
export type RootKeySettings =
  | { kind: 'local'; current: Buffer; previous: Buffer[] }
  | { kind: 'pkcs11'; modulePath: string; tokenLabel: string; pin: string; keyLabelPrefix: string };

/** Opens the configured root-key provider; the caller closes it at shutdown. */
export async function openRootKeyProvider(settings: RootKeySettings): Promise<RootKeyProvider> {
  switch (settings.kind) {
    case 'local':
      return new LocalRootKeyProvider({ current: settings.current, previous: settings.previous });
    case 'pkcs11':
      return Pkcs11RootKeyProvider.open({
        modulePath: settings.modulePath, tokenLabel: settings.tokenLabel, pin: settings.pin, keyLabelPrefix: settings.keyLabelPrefix,
      });
    default: {
      const unknown: never = settings;
      throw new Error(`unknown root-key provider ${(unknown as { kind: string }).kind}`);
    }
  }
}
