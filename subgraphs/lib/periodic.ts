/**
 * A periodic pass (outbox relay, safety nets, sweeps): every `intervalMs`, and at once when
 * `immediately`; never two at a time (runOnce while a pass runs returns that pass, so a slow pass
 * makes ticks skip rather than pile up); the timer does not keep the process alive; stop() waits
 * for a pass in flight. `pass` handles and logs its own errors.
 */
export function runEvery<T>(intervalMs: number, pass: () => Promise<T>, opts: { immediately?: boolean } = {}): { runOnce(): Promise<T>; stop(): Promise<void> } {
  let running: Promise<T> | null = null;
  const runOnce = () =>
    (running ??= pass().finally(() => {
      running = null;
    }));
  if (opts.immediately) void runOnce();
  const timer = setInterval(() => void runOnce(), intervalMs);
  timer.unref();
  return {
    runOnce,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
