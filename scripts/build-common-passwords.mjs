// Regenerates src/crypto/data/common-passwords.txt from the MIT-licensed frequency list of
// @zxcvbn-ts/language-common (a dev dependency). The list ships in the repository so that a
// security officer can read exactly what is refused (NIST SP 800-63B §5.1.1.2).
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dictionary } from '@zxcvbn-ts/language-common';

const version = createRequire(import.meta.url)('@zxcvbn-ts/language-common/package.json').version;
const words = [...new Set(dictionary['passwords-common'].map((w) => w.toLowerCase()).filter((w) => w.length >= 6))].sort();
const header = `# Common passwords refused by Clarus (NIST SP 800-63B 5.1.1.2).\n# Source: @zxcvbn-ts/language-common ${version} (MIT), entries of 6+ characters, lower-cased.\n`;
writeFileSync(new URL('../src/crypto/data/common-passwords.txt', import.meta.url), header + words.join('\n') + '\n');
console.log(`${words.length} entries written`);
