import { ConfigError, loadConfig } from "./config.js";
import { runDoctor } from "./doctor/checks.js";
import { ModelCatalog } from "./llm/model-catalog.js";
import { createBackend } from "./llm/backend.js";
import { probeOllama } from "./llm/ollama-probe.js";

/** `npm run doctor`: prints each problem with its exact fix; exits 1 when an assistant could not run. */
async function main(): Promise<number> {
  const config = loadConfig();
  const models = ModelCatalog.load(config.models.manifestFile, config.models);
  const findings = await runDoctor({
    config,
    models,
    chat: (await createBackend({ ...config, ollama: { ...config.ollama, timeoutMs: 5000 } }, models.ggufFor)).chat,
    probe: () => probeOllama(config.ollama.host, 3000),
  });
  const mark = { ok: "ok  ", warning: "WARN", problem: "FAIL" } as const;
  for (const f of findings) {
    console.log(`${mark[f.level]} ${f.what}`);
    if (f.fix) console.log(`     fix: ${f.fix}`);
  }
  const problems = findings.filter((f) => f.level === "problem").length;
  console.log(problems === 0 ? "\nReady: the server can run assistants." : `\n${problems} problem(s): the server cannot run an assistant yet.`);
  return problems === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof ConfigError ? err.message : err);
    process.exit(1);
  },
);
