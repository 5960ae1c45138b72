import { readFileSync } from 'node:fs';
import { secretVariables } from './config.schema.ts';

/**
 * KEY-5: a secret comes from `NAME` or from the file named by `NAME_FILE` (Docker/Kubernetes
 * secrets), never both. Returns a copy of the environment with the file contents inlined.
 */
export function resolveSecretFiles(env: NodeJS.ProcessEnv, problems: string[]): Record<string, string | undefined> {
  const resolved: Record<string, string | undefined> = { ...env };
  for (const name of secretVariables) {
    const filePath = env[`${name}_FILE`];
    if (filePath === undefined || filePath === '') continue;
    if (env[name] !== undefined && env[name] !== '') {
      problems.push(`${name} and ${name}_FILE are both set; set only one`);
      continue;
    }
    try {
      resolved[name] = readFileSync(filePath, 'utf8').trim();
    } catch {
      problems.push(`${name}_FILE names a file that cannot be read`);
    }
  }
  for (const [key, value] of Object.entries(resolved)) {
    if (value === '') resolved[key] = undefined;
  }
  return resolved;
}
