import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { composeSupergraph, composedFiles, SCHEMA_DIR } from './supergraph';

const composition = composeSupergraph();
if (composition.errors.length) {
  process.stderr.write(`Composition failed:\n${composition.errors.map((e) => `  - ${e}`).join('\n')}\n`);
  process.exit(1);
}
mkdirSync(SCHEMA_DIR, { recursive: true });
for (const [file, content] of Object.entries(composedFiles(composition))) {
  writeFileSync(file, content);
  process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
}
