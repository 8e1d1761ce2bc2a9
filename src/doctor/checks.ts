import fs from "node:fs/promises";
import path from "node:path";
import type { Config, EmbeddedConfig } from "../config.js";
import { ModelFiles } from "../llm/embedded/model-files.js";
import type { ChatModel } from "../llm/chat-model.js";
import { isEmbeddingOnly } from "../llm/capability-fallback.js";
import type { ModelCatalog } from "../llm/model-catalog.js";
import type { OllamaProbe } from "../llm/ollama-probe.js";
import { checkTls } from "./tls.js";

/** One finding: `problem` blocks running an assistant, `warning` degrades it. `fix` is the exact thing to do. */
export interface Finding {
  level: "ok" | "warning" | "problem";
  what: string;
  fix?: string;
}

export interface DoctorDeps {
  config: Config;
  models: ModelCatalog;
  chat: ChatModel;
  probe(): Promise<OllamaProbe>;
  /** The time certificate expiry is judged at (tests); default: now. */
  now?: Date;
}

/** Checks what a first run needs. Never throws: every failure becomes a finding with its fix. */
export async function runDoctor(deps: DoctorDeps): Promise<Finding[]> {
  const findings: Finding[] = [await checkDataDir(deps.config.dataDir), ...checkTls(deps.config, deps.now)];
  const llm = deps.config.llm;
  if (llm.backend === "openai") return [...findings, ...(await checkOpenAiServer(deps))];
  if (llm.backend === "embedded") return [...findings, ...checkEmbedded(llm.embedded)];
  const probe = await deps.probe();
  if (!probe.reachable && llm.backend === "auto") {
    findings.push({
      level: "warning",
      what: `Ollama is not reachable at ${deps.config.ollama.host}: the embedded engine (llama.cpp in this process) answers instead.`,
      fix: "Start Ollama (`ollama serve`) to use it, or set LLM_BACKEND=embedded to say that the embedded engine is meant.",
    });
    return [...findings, ...checkEmbedded(llm.embedded)];
  }
  if (!probe.reachable) {
    findings.push({
      level: "problem",
      what: `Ollama is not reachable at ${deps.config.ollama.host}.`,
      fix: `Start it with \`ollama serve\`, or set OLLAMA_HOST to where it listens.`,
    });
    return findings;
  }
  findings.push({ level: "ok", what: `Ollama ${probe.version ?? ""} at ${deps.config.ollama.host}` });
  const chatTag = deps.models.resolveChat(deps.models.defaultChatModel).tag;
  if (!hasModel(probe.models, chatTag)) {
    findings.push({ level: "problem", what: `Chat model '${chatTag}' is not pulled.`, fix: `ollama pull ${chatTag}` });
  } else {
    findings.push(...(await checkChatModel(deps.chat, chatTag)));
  }
  const embedTag = deps.models.embeddingTag;
  if (embedTag === null) {
    findings.push({ level: "ok", what: "No embedding model configured: vector stores use BM25 search only." });
  } else if (!hasModel(probe.models, embedTag)) {
    findings.push({
      level: "warning",
      what: `Embedding model '${embedTag}' is not pulled: vector stores fall back to BM25 search only.`,
      fix: `ollama pull ${embedTag}`,
    });
  } else {
    findings.push({ level: "ok", what: `Embedding model ${embedTag}` });
  }
  return findings;
}

/** The embedded engine's model files: here, to be downloaded on first use, or missing (a problem). */
function checkEmbedded(config: EmbeddedConfig): Finding[] {
  const files = new ModelFiles(config.modelsDir);
  const sources: Array<[string, string | null]> = [["Chat model", config.chatModel], ["Embedding model", config.embeddingModel]];
  return sources.map(([what, source]): Finding => {
    if (source === null) return { level: "warning", what: "No embedded embedding model (EMBEDDED_EMBEDDING_MODEL is empty): vector stores use BM25 search only." };
    const where = files.where(source);
    if (where.present) return { level: "ok", what: `${what} ${where.file}` };
    if (where.remote) return { level: "warning", what: `${what} ${source} is not in ${config.modelsDir} yet: the first call that needs it downloads it.`, fix: "npm run models:pull" };
    return { level: "problem", what: `${what} file ${where.file} does not exist.`, fix: `Put it in ${config.modelsDir}, or set ${what === "Chat model" ? "EMBEDDED_CHAT_MODEL" : "EMBEDDED_EMBEDDING_MODEL"} to a GGUF path, URL or hf: URI.` };
  });
}

/**
 * LLM_BACKEND=openai: the server answers and serves the chat model (and the embedding model, else BM25).
 * Its ChatModel's `details` asks the server's `/models`, so its messages already name what it serves.
 */
async function checkOpenAiServer(deps: DoctorDeps): Promise<Finding[]> {
  const { config, models, chat } = deps;
  const url = config.llm.backend === "openai" ? config.llm.baseUrl : "";
  const chatTag = models.resolveChat(models.defaultChatModel).tag;
  const out: Finding[] = [];
  try {
    const details = await chat.details(chatTag);
    out.push({ level: "ok", what: `Chat model ${chatTag} on ${url} (context ${details.context_length ?? "unknown"} tokens)` });
  } catch (err) {
    return [{ level: "problem", what: err instanceof Error ? err.message : String(err), fix: "Start the server, or set LLM_BASE_URL and CHAT_MODEL to a model it serves." }];
  }
  const embedTag = models.embeddingTag;
  if (embedTag === null) out.push({ level: "warning", what: "No embedding model (EMBEDDING_MODEL is empty): vector stores use BM25 search only." });
  else {
    try {
      await chat.details(embedTag);
      out.push({ level: "ok", what: `Embedding model ${embedTag}` });
    } catch (err) {
      out.push({ level: "warning", what: `${err instanceof Error ? err.message : String(err)} Vector stores fall back to BM25 search only.`, fix: "Set EMBEDDING_MODEL to an embedding model the server serves, or EMBEDDING_MODEL= for BM25 only." });
    }
  }
  return out;
}

async function checkChatModel(chat: ChatModel, tag: string): Promise<Finding[]> {
  try {
    const details = await chat.details(tag);
    const out: Finding[] = [{ level: "ok", what: `Chat model ${tag} (context ${details.context_length ?? "unknown"} tokens)` }];
    if (isEmbeddingOnly(details)) {
      return [{ level: "problem", what: `Model '${tag}' is an embedding model and cannot chat.`, fix: "Set CHAT_MODEL to a chat model, e.g. llama3.2." }];
    }
    if (details.capabilities.length > 0 && !details.capabilities.includes("tools")) {
      out.push({
        level: "warning",
        what: `Model '${tag}' has no native tool calling: its tools are described in the prompt and its JSON answers read as calls, which small models get wrong more often.`,
        fix: "For reliable function, file_search and code_interpreter calls set CHAT_MODEL to a model with tool support, e.g. llama3.2, qwen3 or gpt-oss.",
      });
    }
    return out;
  } catch (err) {
    return [{ level: "problem", what: `Could not read model '${tag}': ${err instanceof Error ? err.message : String(err)}` }];
  }
}

/** Ollama lists `name:tag`; a bare name means `:latest`. */
function hasModel(models: string[], tag: string): boolean {
  const full = tag.includes(":") ? tag : `${tag}:latest`;
  return models.some((m) => m === tag || m === full);
}

async function checkDataDir(dir: string): Promise<Finding> {
  try {
    await fs.mkdir(dir, { recursive: true });
    const probe = path.join(dir, `.doctor-${process.pid}`);
    await fs.writeFile(probe, "ok");
    await fs.rm(probe);
    return { level: "ok", what: `DATA_DIR ${dir} is writable` };
  } catch (err) {
    return {
      level: "problem",
      what: `DATA_DIR ${dir} is not writable (${err instanceof Error ? err.message : String(err)}).`,
      fix: `Create it and give this user write access, or set DATA_DIR to a writable folder.`,
    };
  }
}
