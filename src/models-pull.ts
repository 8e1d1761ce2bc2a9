/**
 * `npm run models:pull`: downloads the embedded engine's models (EMBEDDED_CHAT_MODEL, EMBEDDED_EMBEDDING_MODEL)
 * into MODELS_DIR now, with a progress bar, instead of on the first call that needs them. Files already there
 * are kept; a broken transfer is retried. Exits 1, saying what to do, when one cannot be fetched.
 * `npm run models:pull -- llama3.2:1b nomic-embed-text` pulls the GGUFs the model manifest gives those names instead.
 */
import { fileURLToPath } from "node:url";
import { ConfigError, DEFAULT_EMBEDDED_CHAT_MODEL, DEFAULT_EMBEDDED_EMBEDDING_MODEL, loadConfig } from "./config.js";
import { ModelFiles, type DownloadProgress } from "./llm/embedded/model-files.js";
import { ModelCatalog } from "./llm/model-catalog.js";

async function main(): Promise<number> {
  const config = loadConfig();
  // auto (the default) and embedded carry the embedded engine's settings; with ollama or openai, its defaults.
  const embedded = config.llm.backend === "embedded" || config.llm.backend === "auto" ? config.llm.embedded : null;
  const files = new ModelFiles(embedded?.modelsDir ?? fileURLToPath(new URL("../models", import.meta.url)), embedded?.downloadStallMs);
  const named = process.argv.slice(2);
  const sources = named.length > 0 ? manifestGgufs(named, ModelCatalog.load(config.models.manifestFile, config.models))
    : embedded ? [embedded.chatModel, embedded.embeddingModel].filter((s): s is string => s !== null)
    : [DEFAULT_EMBEDDED_CHAT_MODEL, DEFAULT_EMBEDDED_EMBEDDING_MODEL];
  files.onProgress = bar;
  let failed = 0;
  for (const source of sources) {
    const { file, present } = files.where(source);
    if (present) {
      console.log(`ok   ${file}`);
      continue;
    }
    try {
      process.stderr.write(`pull ${source}\n`);
      console.log(`\nok   ${await files.ensure(source)}`);
    } catch (err) {
      failed++;
      console.error(`\nFAIL ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return failed === 0 ? 0 : 1;
}

/** The GGUF sources the manifest gives public model names (chat or embedding); a name with none is a ConfigError. */
function manifestGgufs(names: string[], catalog: ModelCatalog): string[] {
  return names.map((name) => {
    const gguf = catalog.ggufFor(catalog.resolveChat(name).tag) ?? catalog.ggufFor(catalog.resolveEmbedding(name) ?? "");
    if (gguf === null) throw new ConfigError(`The model manifest gives '${name}' no gguf: add one to models/manifest.json, or pull its Ollama tag with ollama pull.`);
    return gguf;
  });
}

/** One line redrawn in place: how much of the file is here. */
function bar(p: DownloadProgress): void {
  const share = p.total_bytes > 0 ? p.downloaded_bytes / p.total_bytes : 0;
  const filled = Math.round(share * 30);
  const mb = (n: number) => (n / 2 ** 20).toFixed(1);
  process.stderr.write(`\r     [${"#".repeat(filled)}${".".repeat(30 - filled)}] ${(share * 100).toFixed(0).padStart(3)}%  ${mb(p.downloaded_bytes)}/${mb(p.total_bytes)} MiB`);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof ConfigError ? err.message : err);
    process.exit(1);
  },
);
