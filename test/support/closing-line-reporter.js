/**
 * Ends every jest run with one plain line, `Tests: N passed, N failed, N skipped`, after jest's own
 * summary. Jest's summary says "N passed, N total", which CI's log reader does not take for a test
 * count; this line is the runner-neutral form it does read, so a green run is counted as one that
 * executed its tests.
 */
const { writeSync } = require('node:fs');

class ClosingLineReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const line = `Tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped\n`;
    // Written as the process exits, so it comes after jest's own summary: the run's last line.
    process.once('exit', () => writeSync(2, line));
  }
}

module.exports = ClosingLineReporter;
