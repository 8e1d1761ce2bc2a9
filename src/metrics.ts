/**
 * What `GET /metrics` shows, in Prometheus's text format (prom-client): requests by route and status, runs and
 * responses by the status they ended in, the run queue and how long runs wait in it, model calls (latency,
 * tokens), ingestion (files by outcome, pages read) and sandbox calls. One registry per set of services (a
 * process normally has one; tests have many), so nothing is global.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

const SECONDS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export class Metrics {
  readonly registry = new Registry();
  private readonly at = { registers: [this.registry] };

  /** Requests by "method route status", counted per request (countRequest) and read into the counter at each scrape. */
  private readonly requestCounts = new Map<string, { method: string; route: string; status: string; n: number }>();
  readonly httpRequests = (() => {
    const counts = this.requestCounts;
    return new Counter({
      name: "local_assistants_http_requests_total",
      help: "HTTP requests answered, by method, route and status.",
      labelNames: ["method", "route", "status"] as const,
      collect() {
        this.reset();
        for (const { method, route, status, n } of counts.values()) this.inc({ method, route, status }, n);
      },
      ...this.at,
    });
  })();
  readonly runsEnded = new Counter({ name: "local_assistants_runs_ended_total", help: "Runs that reached a final status (or requires_action), by status.", labelNames: ["status"] as const, ...this.at });
  readonly responsesEnded = new Counter({ name: "local_assistants_responses_ended_total", help: "Responses that ended, by status.", labelNames: ["status"] as const, ...this.at });
  readonly runQueueSeconds = new Histogram({ name: "local_assistants_run_claim_wait_seconds", help: "Time a run this node took waited for a free slot before executing.", buckets: SECONDS, ...this.at });
  readonly modelSeconds = new Histogram({ name: "local_assistants_model_call_duration_seconds", help: "Model calls, from request to last chunk, by model and outcome.", labelNames: ["model", "outcome"] as const, buckets: SECONDS, ...this.at });
  readonly modelTokens = new Counter({ name: "local_assistants_model_tokens_total", help: "Tokens the model reported, by model and kind (prompt, completion).", labelNames: ["model", "kind"] as const, ...this.at });
  readonly ingestedFiles = new Counter({ name: "local_assistants_ingestion_files_total", help: "Vector store files that finished indexing, by status.", labelNames: ["status"] as const, ...this.at });
  readonly ingestedPages = new Counter({ name: "local_assistants_ingestion_pages_total", help: "Pages (or sheets, slides) read from files being indexed.", ...this.at });
  readonly sandboxCalls = new Counter({ name: "local_assistants_sandbox_calls_total", help: "code_interpreter calls, by outcome (ok, error: the code threw or hit a limit).", labelNames: ["outcome"] as const, ...this.at });

  private processMetrics = false;

  constructor(queued: () => number) {
    new Gauge({ name: "local_assistants_runs_queued", help: "Runs this node has taken and not started (waiting for a free RUN_CONCURRENCY slot).", collect() { this.set(queued()); }, ...this.at });
  }

  countRequest(method: string, route: string, status: number): void {
    const key = `${method} ${route} ${status}`;
    const entry = this.requestCounts.get(key);
    if (entry) entry.n++;
    else this.requestCounts.set(key, { method, route, status: String(status), n: 1 });
  }

  text(): Promise<string> {
    // The process's own figures (memory, CPU, event loop lag) from the first scrape on: their observers are
    // started only where someone reads them.
    if (!this.processMetrics) {
      this.processMetrics = true;
      collectDefaultMetrics({ register: this.registry, prefix: "local_assistants_" });
    }
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** Where a component that counts something finds the counters (absent: it counts nothing, as in unit tests). */
export type MetricsSink = Pick<Metrics, "runsEnded" | "responsesEnded" | "runQueueSeconds" | "modelSeconds" | "modelTokens" | "ingestedFiles" | "ingestedPages" | "sandboxCalls">;
