// One clock for the harness, the sink and the load client's own process: performance.now()
// counts from each process's start, while process.hrtime is CLOCK_MONOTONIC on Linux, the same
// in every process, so a send time taken in the client and an arrival taken in the sink can be
// subtracted.

/** Milliseconds on the machine-wide monotonic clock. */
export const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
