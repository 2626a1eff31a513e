/**
 * Waits for `promise` while holding the event loop open. Server processes and their pipes are unref'd so they never
 * keep a test worker alive; a plain script (npm run samples, npm run bench) awaiting their exit would otherwise end
 * with that await unsettled.
 */
export async function keepAlive<T>(promise: Promise<T>): Promise<T> {
  const timer = setInterval(() => {}, 60_000);
  try {
    return await promise;
  } finally {
    clearInterval(timer);
  }
}
