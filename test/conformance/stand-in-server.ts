/**
 * This server over the Ollama-protocol stand-in, for the Open Responses compliance suite (test/conformance/run.sh).
 * The suite's prompts are written for a real model ("What's the weather like in San Francisco?" with a
 * get_weather tool), so the stand-in answers them plausibly: a user turn with tools offered calls the first
 * tool, a tool result gets an answer, anything else a short greeting. Prints `BASE <url>` once listening.
 */
import fs from "node:fs";
import { startOllamaFake, type ChatBody } from "../fakes/ollama-fake.js";
import { listen, makeTestApp } from "../helpers/test-app.js";

const fake = await startOllamaFake({ models: ["llama3.2:3b"] });
const answer = (body: ChatBody) => {
  const last = body.messages.at(-1)!;
  if (body.tools?.length && last.role === "user") return { toolCalls: [{ name: body.tools[0]!.function.name, arguments: { location: "San Francisco, CA" } }] };
  return { text: last.role === "tool" ? "It is sunny and 18 degrees." : "Hello there, friend." };
};
// The stand-in answers from a queue; far more entries than the suite makes model calls.
fake.script(...Array.from({ length: 1000 }, () => answer));
const t = await makeTestApp({ OLLAMA_HOST: fake.url, EMBEDDING_MODEL: "" });
const server = await listen(t.app);
console.log(`BASE ${server.baseURL}`);
const stop = async () => {
  await server.close();
  await t.close();
  fs.rmSync(t.dataDir, { recursive: true, force: true }); // made by makeTestApp for this run only
  await fake.close();
  process.exit(0);
};
process.once("SIGTERM", () => void stop());
process.once("SIGINT", () => void stop());
