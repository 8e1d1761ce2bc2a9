import { describe, expect, it } from "vitest";
import { withoutSourceLocations } from "../../src/retrieval/ingestion/settling.js";

// The shapes LanceDB's Rust errors take (lance-format/lance#3224 quotes the first one).
describe("a file's last_error keeps the message and drops Rust source locations", () => {
  it("drops the location at the end of a LanceError", () => {
    expect(
      withoutSourceLocations(
        "LanceError(IO): failed to read all bytes from file: expected 480, got 437, /home/runner/work/lance/lance/rust/lance/src/io/local.rs:121:31",
      ),
    ).toBe("LanceError(IO): failed to read all bytes from file: expected 480, got 437");
  });

  it("drops every location of a chained error, cargo registry and Windows paths included", () => {
    const message =
      "lance error: Commit conflict for version 7: This CreateIndex transaction was preempted by concurrent transaction Rewrite at version 7. Please retry., " +
      "/Users/runner/.cargo/registry/src/index.crates.io-6f17d22bba15001f/lance-0.37.1/src/io/commit.rs:1021:17, " +
      "Io error: disk quota exceeded, C:\\a\\lance\\rust\\lance-io\\src\\local.rs:88:9";
    const clean = withoutSourceLocations(message);
    expect(clean).not.toMatch(/\.rs:\d|cargo|runner/);
    expect(clean).toBe(
      "lance error: Commit conflict for version 7: This CreateIndex transaction was preempted by concurrent transaction Rewrite at version 7. Please retry., " +
        "Io error: disk quota exceeded",
    );
  });

  it("leaves a message without locations as it is", () => {
    expect(withoutSourceLocations("Indexing stopped: disk full (ENOSPC), see data/lancedb")).toBe("Indexing stopped: disk full (ENOSPC), see data/lancedb");
  });
});
