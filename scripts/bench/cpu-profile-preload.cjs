/**
 * Preloaded with NODE_OPTIONS=--require (Node 20 refuses --cpu-prof there): profiles this process
 * with the inspector from start to exit and writes a V8 .cpuprofile into CPU_PROF_DIR, the same
 * format node --cpu-prof writes (scripts/bench/profile-summary.ts reads it).
 */
const inspector = require('node:inspector');
const { writeFileSync } = require('node:fs');
const path = require('node:path');

const session = new inspector.Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.start');
process.on('exit', () => {
  // In-process inspector calls answer synchronously, so this runs to the end inside 'exit'.
  session.post('Profiler.stop', (err, result) => {
    if (err) return;
    const name = `${process.env.CPU_PROF_NAME || 'process'}-${process.pid}.cpuprofile`;
    writeFileSync(path.join(process.env.CPU_PROF_DIR || '.', name), JSON.stringify(result.profile));
  });
});
