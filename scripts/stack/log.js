'use strict';
// Progress output for the tooling: always stderr, so stdout stays free for machine-readable output.

function formatDuration(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `${minutes} min ${seconds} s`;
}

/**
 * @param {string} prefix e.g. "stack"
 * @param {{ write?: (text: string) => void }} [options]
 */
function createLogger(prefix, { write = (text) => process.stderr.write(text) } = {}) {
  let buffered = null;
  const emit = (text) => (buffered ? buffered.push(text) : write(text));
  return {
    info(message) {
      emit(`[${prefix}] ${message}\n`);
    },
    // Holds lines back while another program owns the terminal; flush() prints them in order.
    hold() {
      if (!buffered) buffered = [];
    },
    flush() {
      const lines = buffered || [];
      buffered = null;
      for (const line of lines) write(line);
    },
    child(name) {
      return createLogger(`${prefix}:${name}`, { write: emit });
    },
  };
}

module.exports = { createLogger, formatDuration };
