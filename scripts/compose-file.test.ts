import { readFileSync } from 'node:fs';
import path from 'node:path';
import { GATEWAY_PROCESS, SUBGRAPH_PROCESSES, WORKER_PROCESSES } from './stack-processes';

describe('docker-compose.yml runs what npm start runs', () => {
  const compose = readFileSync(path.resolve(__dirname, '..', 'docker-compose.yml'), 'utf8');

  it.each([...SUBGRAPH_PROCESSES, ...WORKER_PROCESSES, GATEWAY_PROCESS].map((p) => [p.name, p.entry]))('%s: a service runs its compiled entry', (_name, entry) => {
    expect(compose).toContain(`"dist/${entry.replace(/\.ts$/, '.js')}"`);
  });
});
