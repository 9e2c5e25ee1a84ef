import pino, { type Logger } from "pino";

/**
 * Tripline's own logs: JSON lines on stderr (stdout belongs to the debug exporter). Known secret
 * fields are redacted as a second line of defence; secrets should never reach a log call.
 */
export function createLogger(level: string): Logger {
  return pino(
    {
      level,
      base: { service: "tripline" },
      redact: {
        paths: ["*.api_key", "*.token", "*.password", "*.secret", "*.authorization"],
        censor: "[redacted]",
      },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ dest: 2, sync: true }),
  );
}
