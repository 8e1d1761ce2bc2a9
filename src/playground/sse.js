// Server-sent events, parsed by hand: EventSource cannot POST, so the page reads fetch() bodies itself.
// Follows the WHATWG "event stream interpretation" rules for the fields the Assistants API uses.

/**
 * An incremental parser: push() text as it arrives (any chunking, even mid-line or between \r and \n),
 * onEvent gets each complete event. end() flushes an event the stream ended without a blank line after.
 * @param {(event: { event: string, data: string }) => void} onEvent
 */
export function createSseParser(onEvent) {
  let buffer = "";
  let eventName = "";
  /** @type {string[]} */
  let data = [];

  const dispatch = () => {
    if (data.length > 0) onEvent({ event: eventName || "message", data: data.join("\n") });
    eventName = "";
    data = [];
  };

  /** @param {string} line */
  const handleLine = (line) => {
    if (line === "") return dispatch();
    if (line.startsWith(":")) return; // comment (keep-alive)
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") eventName = value;
    else if (field === "data") data.push(value);
    // id and retry do not matter for a one-shot POST stream.
  };

  return {
    /** @param {string} text */
    push(text) {
      buffer += text;
      for (;;) {
        const match = /\r\n|\r|\n/.exec(buffer);
        if (!match) return;
        // A lone \r at the very end may be the first half of \r\n: wait for the next chunk.
        if (match[0] === "\r" && match.index === buffer.length - 1) return;
        const line = buffer.slice(0, match.index);
        buffer = buffer.slice(match.index + match[0].length);
        handleLine(line);
      }
    },
    end() {
      if (buffer !== "") {
        handleLine(buffer.replace(/\r$/, ""));
        buffer = "";
      }
      dispatch();
    },
  };
}

/**
 * Reads a fetch() response body as server-sent events.
 * @param {Response} response
 * @returns {AsyncGenerator<{ event: string, data: string }>}
 */
export async function* readSse(response) {
  if (!response.body) return;
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  /** @type {{ event: string, data: string }[]} */
  const queue = [];
  const parser = createSseParser((e) => queue.push(e));
  let finished = false;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        finished = true;
        break;
      }
      parser.push(decoder.decode(value, { stream: true }));
      while (queue.length > 0) yield /** @type {{ event: string, data: string }} */ (queue.shift());
    }
    parser.push(decoder.decode());
    parser.end();
    while (queue.length > 0) yield /** @type {{ event: string, data: string }} */ (queue.shift());
  } finally {
    // The consumer stopped early (or the read failed): close the connection rather than leave it open.
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
