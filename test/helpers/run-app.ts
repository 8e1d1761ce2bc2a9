import type { Env } from "../../src/config.js";
import type { ServiceOverrides } from "../../src/composition/services.js";
import { startOllamaFake, type OllamaFake, type OllamaFakeOptions } from "../fakes/ollama-fake.js";
import { makeTestApp, type TestApp } from "./test-app.js";

/** The tag models/manifest.json maps the default chat model (and every gpt-* name) to. */
export const DEFAULT_TAG = "llama3.2:3b";

export interface RunTestApp extends TestApp {
  ollama: OllamaFake;
  /** An assistant on the default model, with optional extra fields. */
  assistant(extra?: Record<string, unknown>): Promise<{ id: string }>;
}

/** A test app whose runs talk to a fresh Ollama-protocol stand-in over HTTP. */
export async function makeRunApp(env: Env = {}, fakeOptions: OllamaFakeOptions = {}, overrides: ServiceOverrides = {}): Promise<RunTestApp> {
  const ollama = await startOllamaFake({ models: [DEFAULT_TAG, "tiny:1b"], ...fakeOptions });
  const t = await makeTestApp({ OLLAMA_HOST: ollama.url, ...env }, overrides);
  return {
    ...t,
    ollama,
    assistant: (extra = {}) =>
      t.client.beta.assistants.create({ model: "gpt-4o", instructions: "You are terse.", ...extra } as never),
    close: async () => {
      await t.close();
      await ollama.close();
    },
  };
}
