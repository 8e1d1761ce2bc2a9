import { serve } from "@hono/node-server";
import { createApp } from "./app.js";
import { answerClientError } from "./http/client-error.js";
import { createLingeringHttpServer, createLingeringHttpsServer } from "./http/lingering-close.js";
import { webSocketServer } from "./http/responses-socket.js";
import { ConfigError, loadConfig } from "./config.js";
import { createServices } from "./composition/services.js";
import { log, setLogLevel } from "./log.js";
import { certificateValidity, loadTlsCredentials, MIN_TLS_VERSION } from "./tls.js";

/** Composition root: config → storage and services → HTTP app → listen. */
async function main(): Promise<void> {
  const config = loadConfig();
  setLogLevel(config.logLevel);
  // Read and checked before anything opens: a bad certificate or key refuses the start, saying what to fix.
  const tls = config.tls === null ? null : loadTlsCredentials(config.tls);
  if (tls !== null && certificateValidity(tls.certificate, new Date()).daysLeft < 0) {
    log.warn(`the certificate in TLS_CERT_FILE expired on ${tls.certificate.validTo}; clients will refuse it (npm run doctor).`);
  }
  const services = await createServices(config);
  const app = createApp(services);
  // WebSocket upgrades (the Responses API's WebSocket mode) go through the same app, guards included.
  const listen = { fetch: app.fetch, hostname: config.host, port: config.port, websocket: webSocketServer(config.limits.maxJsonBodyBytes) };
  const scheme = tls === null ? "http" : "https";
  const onListening = (info: { port: number }): void => {
    log.info({ version: services.version }, `local-assistants ${services.version} listening on ${scheme}://${config.host}:${info.port}/v1`);
    log.info(`Playground: ${scheme}://${config.host}:${info.port}/`);
    log.info(`data in ${config.database ? "PostgreSQL and " : ""}${config.dataDir}; models on ${modelsOn(config)}`);
  };
  // With TLS there is only the HTTPS listener: a plaintext request to the port fails its handshake.
  const server = tls === null
    ? serve({ ...listen, createServer: createLingeringHttpServer }, onListening)
    : serve({ ...listen, createServer: createLingeringHttpsServer, serverOptions: { cert: tls.cert, key: tls.key, minVersion: MIN_TLS_VERSION } }, onListening);
  server.on("clientError", answerClientError);
  const shutdown = (): void => {
    server.close();
    void services.close().finally(() => process.exit(0));
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}

main().catch((err: unknown) => {
  // A start that fails says why in plain words (a configuration error is the person's to fix, not a log event).
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});

/** Where the models run, as the start-up line says it. */
function modelsOn(config: ReturnType<typeof loadConfig>): string {
  switch (config.llm.backend) {
    case "openai":
      return `the OpenAI-compatible server at ${config.llm.baseUrl}`;
    case "embedded":
      return `the embedded engine (GGUF models in ${config.llm.embedded.modelsDir})`;
    case "auto":
      return `Ollama at ${config.ollama.host} while it answers, else the embedded engine (GGUF models in ${config.llm.embedded.modelsDir})`;
    default:
      return `Ollama at ${config.ollama.host}`;
  }
}
