import { readFileSync } from 'node:fs';
import path from 'node:path';
import { GATEWAY_PROCESS, SUBGRAPH_PROCESSES, WORKER_PROCESSES } from './stack-processes';

/**
 * Read as text (no YAML parser is a dependency of ours): a service is the block from its
 * two-space-indented `name:` line to the next line at that indentation or less.
 */
function block(compose: string, header: RegExp): string {
  const lines = compose.split('\n');
  const start = lines.findIndex((l) => header.test(l));
  if (start < 0) return '';
  const indent = /^ */.exec(lines[start])![0].length;
  const end = lines.findIndex((l, i) => i > start && l.trim() !== '' && !l.trim().startsWith('#') && /^ */.exec(l)![0].length <= indent);
  return lines.slice(start, end < 0 ? undefined : end).join('\n');
}

describe('docker-compose.yml runs what npm start runs', () => {
  const compose = readFileSync(path.resolve(__dirname, '..', 'docker-compose.yml'), 'utf8');
  const service = (name: string) => block(compose, new RegExp(`^  ${name}:\\s*$`));

  it.each([...SUBGRAPH_PROCESSES, ...WORKER_PROCESSES, GATEWAY_PROCESS].map((p) => [p.name, p.entry]))('%s: a service runs its compiled entry', (_name, entry) => {
    expect(compose).toContain(`"dist/${entry.replace(/\.ts$/, '.js')}"`);
  });

  it('MongoDB runs as a replica set, initiated on first start, and the services connect to that set', () => {
    const mongo = service('mongo');
    const replSet = /"--replSet",\s*"([^"]+)"/.exec(mongo)?.[1];
    expect(replSet).toBeTruthy();
    expect(mongo).toMatch(new RegExp(`rs\\.initiate\\(\\{ _id: '${replSet}'`));
    expect(compose).toMatch(new RegExp(`MONGODB_URI: mongodb://mongo:27017/\\?replicaSet=${replSet}\\b`));
  });

  it.each(WORKER_PROCESSES.map((p) => [p.name]))('%s: runs as two replicas', (name) => {
    const worker = service(name);
    expect(worker).not.toBe('');
    // Either its own deploy.replicas, or the shared x-worker anchor merged in.
    const own = /replicas:\s*(\d+)/.exec(worker)?.[1];
    const anchor = /<<:\s*\[[^\]]*\*worker\b/.test(worker) ? /replicas:\s*(\d+)/.exec(block(compose, /^x-worker: &worker\s*$/))?.[1] : undefined;
    expect(Number(own ?? anchor)).toBe(2);
  });
});
