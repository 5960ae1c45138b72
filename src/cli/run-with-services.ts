import { loadConfig } from '../config/load-config.ts';
import { compose, type Composition } from '../compose.ts';

/** Runs one CLI action against a composed system, closing databases (and the embedded server) after. */
export async function withComposition<T>(action: (composition: Composition) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const debug = config.logLevel === 'debug' || config.logLevel === 'trace';
  const composition = await compose(config, { log: debug ? (m) => process.stderr.write(`${m}\n`) : () => undefined });
  try {
    return await action(composition);
  } finally {
    await composition.close();
  }
}
