import { serve } from "@hono/node-server";
import { createApp } from "./app.js";
import { answerClientError } from "./http/client-error.js";
import { ConfigError, loadConfig } from "./config.js";
import { createServices } from "./composition/services.js";

/** Composition root: config → storage and services → HTTP app → listen. */
async function main(): Promise<void> {
  const config = loadConfig();
  const services = await createServices(config);
  const app = createApp(services);
  const server = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, (info) => {
    console.log(`local-assistants ${services.version} listening on http://${config.host}:${info.port}/v1`);
    console.log(`Playground: http://${config.host}:${info.port}/`);
    console.log(`data in ${config.dataDir}; Ollama at ${config.ollama.host}`);
  });
  server.on("clientError", answerClientError);
  const shutdown = (): void => {
    server.close();
    void services.close().finally(() => process.exit(0));
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
