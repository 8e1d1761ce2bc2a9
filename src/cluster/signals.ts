import type { Db } from "../store/db.js";
import { guarded, log } from "../log.js";

/**
 * A message to the node executing some work: stop it (a cancel, or its thread deleted, received elsewhere);
 * index a file of a store it indexes (`id` "<store>/<file>"); or, to every node, that files of a store settled
 * (a run's file_search may be waiting for them) or that API keys were created or revoked.
 */
export interface Signal {
  kind: "abort-run" | "abort-response" | "delete-response" | "ingest" | "ingest-fresh" | "unindex" | "settled" | "keys-changed";
  id: string;
}

/** Addressed to every node. */
export const EVERY_NODE = "*";

/**
 * Messages between server processes sharing a store. One process needs none (LocalSignals); on PostgreSQL
 * they are NOTIFY/LISTEN on one channel per schema, addressed to a node (PgSignals). A NOTIFY sent inside a
 * transaction is delivered when it commits, so the receiver reads what the sender wrote.
 */
export interface ClusterSignals {
  /** To one node, or to every node (EVERY_NODE, this one included). */
  send(node: string, signal: Signal): void;
  /** Called with every signal addressed to this node. */
  onSignal(handler: (signal: Signal) => void): void;
  close(): Promise<void>;
}

export class LocalSignals implements ClusterSignals {
  send(): void {}
  onSignal(): void {}
  async close(): Promise<void> {}
}

/** Channel names are identifiers; one per schema keeps clusters in one database (tests, tenants) apart. */
function channelOf(schema: string | null): string {
  return `la_signals_${(schema ?? "public").toLowerCase()}`.slice(0, 63);
}

export class PgSignals implements ClusterSignals {
  private readonly channel: string;
  private readonly handlers: ((signal: Signal) => void)[] = [];
  private readonly notifyStmt;
  private listener: { end(): Promise<void> } | null = null;
  private closed = false;
  private everListened = false;

  private constructor(db: Db, private readonly node: string, private readonly url: string, schema: string | null) {
    this.channel = channelOf(schema);
    this.notifyStmt = db.prepare("SELECT pg_notify(?, ?)");
  }

  /** Listens (its own connection, asynchronous) before it returns, so no signal sent afterwards is missed. */
  static async open(db: Db, node: string, url: string, schema: string | null): Promise<PgSignals> {
    const signals = new PgSignals(db, node, url, schema);
    await signals.listen();
    return signals;
  }

  send(node: string, signal: Signal): void {
    this.notifyStmt.get(this.channel, JSON.stringify({ to: node, ...signal }));
  }

  onSignal(handler: (signal: Signal) => void): void {
    this.handlers.push(handler);
  }

  private async listen(): Promise<void> {
    const { default: pg } = await import("pg");
    const client = new pg.Client({ connectionString: this.url, application_name: "local-assistants signals" });
    client.on("notification", (message) => {
      if (message.channel !== this.channel || !message.payload) return;
      let parsed: Signal & { to?: string };
      try {
        parsed = JSON.parse(message.payload) as Signal & { to?: string };
      } catch {
        return;
      }
      if (parsed.to !== this.node && parsed.to !== EVERY_NODE) return;
      for (const handler of this.handlers) guarded(`handling a ${parsed.kind} signal`, () => handler({ kind: parsed.kind, id: parsed.id }));
    });
    // A lost connection loses the signals sent meanwhile: listen again; the work's own lease and status
    // (a cancel is also written as `cancelling`) are what the executing node acts on in the end.
    client.on("error", (err) => {
      log.warn({ err }, "signal connection lost, listening again");
      if (this.listener === client) this.listener = null;
      void client.end().catch(() => {});
      this.relisten(1000);
    });
    await client.connect();
    await client.query(`LISTEN ${this.channel}`);
    if (this.closed) {
      await client.end();
      return;
    }
    const reconnected = this.everListened;
    this.everListened = true;
    this.listener = client;
    // Signals sent while this node was not listening are lost; what must not stay stale is read again.
    if (reconnected) for (const handler of this.handlers) guarded("catching up after a lost signal connection", () => handler({ kind: "keys-changed", id: "" }));
  }

  /** Listens again after `delayMs`, doubling the wait (up to 30 s) while the database cannot be reached. */
  private relisten(delayMs: number): void {
    if (this.closed) return;
    setTimeout(() => {
      this.listen().catch((err: unknown) => {
        log.warn({ err }, "listening for signals failed, trying again");
        this.relisten(Math.min(delayMs * 2, 30_000));
      });
    }, delayMs).unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.listener?.end().catch(() => {});
  }
}
