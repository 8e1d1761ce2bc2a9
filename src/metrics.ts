/**
 * What `GET /metrics` shows, in Prometheus's text format (prom-client): requests by route and status, runs and
 * responses by the status they ended in, the run queue and how long runs wait in it, model calls (latency,
 * tokens), ingestion (files by outcome, pages read) and sandbox calls. One registry per set of services (a
 * process normally has one; tests have many), so nothing is global.
 *
 * prom-client (about 10 MB of a process's memory) is loaded when something is first counted or scraped, not at
 * boot: an idle server has counted nothing. It is CommonJS, so it loads synchronously where a counter is used.
 */
import { createRequire } from "node:module";
import type { Counter, Histogram, Registry } from "prom-client";

type PromClient = typeof import("prom-client");

const SECONDS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** The registry and its series, made on first use. */
interface Series {
  registry: Registry;
  runsEnded: Counter<"status">;
  responsesEnded: Counter<"status">;
  runQueueSeconds: Histogram;
  modelSeconds: Histogram<"model" | "outcome">;
  modelTokens: Counter<"model" | "kind">;
  ingestedFiles: Counter<"status">;
  ingestedPages: Counter;
  sandboxCalls: Counter<"outcome">;
}

interface RequestCount {
  method: string;
  route: string;
  status: string;
  n: number;
}

export class Metrics {
  /** Requests by "method route status", counted per request (countRequest) and read into the counter at each scrape. */
  private readonly requestCounts = new Map<string, RequestCount>();
  private made: Series | null = null;
  private processMetrics = false;

  constructor(private readonly queued: () => number) {}

  get runsEnded(): Series["runsEnded"] {
    return this.series().runsEnded;
  }
  get responsesEnded(): Series["responsesEnded"] {
    return this.series().responsesEnded;
  }
  get runQueueSeconds(): Series["runQueueSeconds"] {
    return this.series().runQueueSeconds;
  }
  get modelSeconds(): Series["modelSeconds"] {
    return this.series().modelSeconds;
  }
  get modelTokens(): Series["modelTokens"] {
    return this.series().modelTokens;
  }
  get ingestedFiles(): Series["ingestedFiles"] {
    return this.series().ingestedFiles;
  }
  get ingestedPages(): Series["ingestedPages"] {
    return this.series().ingestedPages;
  }
  get sandboxCalls(): Series["sandboxCalls"] {
    return this.series().sandboxCalls;
  }

  countRequest(method: string, route: string, status: number): void {
    const key = `${method} ${route} ${status}`;
    const entry = this.requestCounts.get(key);
    if (entry) entry.n++;
    else this.requestCounts.set(key, { method, route, status: String(status), n: 1 });
  }

  text(): Promise<string> {
    const { registry } = this.series();
    // The process's own figures (memory, CPU, event loop lag) from the first scrape on: their observers are
    // started only where someone reads them.
    if (!this.processMetrics) {
      this.processMetrics = true;
      promClient().collectDefaultMetrics({ register: registry, prefix: "local_assistants_" });
    }
    return registry.metrics();
  }

  get contentType(): string {
    return this.series().registry.contentType;
  }

  private series(): Series {
    return (this.made ??= makeSeries(this.requestCounts, this.queued));
  }
}

let loaded: PromClient | null = null;
function promClient(): PromClient {
  return (loaded ??= createRequire(import.meta.url)("prom-client") as PromClient);
}

function makeSeries(requestCounts: Map<string, RequestCount>, queued: () => number): Series {
  const { Counter, Gauge, Histogram, Registry } = promClient();
  const registry = new Registry();
  const at = { registers: [registry] };
  new Counter({
    name: "local_assistants_http_requests_total",
    help: "HTTP requests answered, by method, route and status.",
    labelNames: ["method", "route", "status"] as const,
    collect() {
      this.reset();
      for (const { method, route, status, n } of requestCounts.values()) this.inc({ method, route, status }, n);
    },
    ...at,
  });
  new Gauge({ name: "local_assistants_runs_queued", help: "Runs this node has taken and not started (waiting for a free RUN_CONCURRENCY slot).", collect() { this.set(queued()); }, ...at });
  return {
    registry,
    runsEnded: new Counter({ name: "local_assistants_runs_ended_total", help: "Runs that reached a final status (or requires_action), by status.", labelNames: ["status"] as const, ...at }),
    responsesEnded: new Counter({ name: "local_assistants_responses_ended_total", help: "Responses that ended, by status.", labelNames: ["status"] as const, ...at }),
    runQueueSeconds: new Histogram({ name: "local_assistants_run_claim_wait_seconds", help: "Time a run this node took waited for a free slot before executing.", buckets: SECONDS, ...at }),
    modelSeconds: new Histogram({ name: "local_assistants_model_call_duration_seconds", help: "Model calls, from request to last chunk, by model and outcome.", labelNames: ["model", "outcome"] as const, buckets: SECONDS, ...at }),
    modelTokens: new Counter({ name: "local_assistants_model_tokens_total", help: "Tokens the model reported, by model and kind (prompt, completion).", labelNames: ["model", "kind"] as const, ...at }),
    ingestedFiles: new Counter({ name: "local_assistants_ingestion_files_total", help: "Vector store files that finished indexing, by status.", labelNames: ["status"] as const, ...at }),
    ingestedPages: new Counter({ name: "local_assistants_ingestion_pages_total", help: "Pages (or sheets, slides) read from files being indexed.", ...at }),
    sandboxCalls: new Counter({ name: "local_assistants_sandbox_calls_total", help: "code_interpreter calls, by outcome (ok, error: the code threw or hit a limit).", labelNames: ["outcome"] as const, ...at }),
  };
}

/** Where a component that counts something finds the counters (absent: it counts nothing, as in unit tests). */
export type MetricsSink = Pick<Metrics, "runsEnded" | "responsesEnded" | "runQueueSeconds" | "modelSeconds" | "modelTokens" | "ingestedFiles" | "ingestedPages" | "sandboxCalls">;
