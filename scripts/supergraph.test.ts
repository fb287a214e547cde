import { readFileSync } from 'node:fs';
import { composeSupergraph, composedFiles } from './supergraph';

describe('schema/ is the composed contract', () => {
  const composition = composeSupergraph();

  it('composes without errors', () => {
    expect(composition.errors).toEqual([]);
  });

  it('matches the committed files (run `npm run compose` after editing a subgraph schema)', () => {
    for (const [file, expected] of Object.entries(composedFiles(composition))) {
      expect({ file, content: readFileSync(file, 'utf8') }).toEqual({ file, content: expected });
    }
  });
});
