/**
 * Which GGUF file a model name means for the embedded engine: a path as given, or a file name looked up in
 * models/. A file that is not there is a ModelError naming the file and where to put it.
 */
import fs from "node:fs";
import path from "node:path";
import { ModelError } from "../chat-model.js";

export function modelFile(name: string, modelsDir: string): string {
  const candidate = path.isAbsolute(name) || name.includes("/") || name.includes(path.sep) ? path.resolve(name) : path.join(modelsDir, name);
  if (!fs.existsSync(candidate)) {
    throw new ModelError(
      "model_not_found",
      `The GGUF model file '${candidate}' does not exist: put the file in ${modelsDir} (or give its path in EMBEDDED_CHAT_MODEL / EMBEDDED_EMBEDDING_MODEL).`,
    );
  }
  return candidate;
}

/** Whether a model name names a GGUF file itself (then it is used as is), rather than a public model name. */
export function isGgufName(name: string): boolean {
  return /\.gguf$/i.test(name);
}
