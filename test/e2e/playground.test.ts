/**
 * The Playground end to end, in a real headless Chromium (Debian's, driven by playwright-core) against
 * the server on a real socket and the Ollama-protocol stand-in. Each state is saved as a screenshot under
 * test-output/playground/ for a person to look at. Machines without /usr/bin/chromium skip this suite.
 */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import type { Env } from "../../src/config.js";
import type { ServiceOverrides } from "../../src/composition/services.js";
import { hashEmbedding, type ChatBody } from "../fakes/ollama-fake.js";
import { startOpenAiServerFake } from "../fakes/openai-server-fake.js";
import { makeRunApp, type RunTestApp } from "../helpers/run-app.js";
import { listen } from "../helpers/test-app.js";
import { blankScanPdf } from "../helpers/scans.js";
import { storeOf } from "../helpers/vector-stores.js";
import { codeInterpreterTool } from "../../src/tools/code-interpreter.js";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const SHOTS = path.resolve("test-output/playground");
const PDF_DIR = new URL("../fixtures/pdfs/", import.meta.url).pathname;
/** Generous: CI machines have two cores and run other suites beside this one. */
const WAIT = { timeout: 15_000 };
const TEST_TIMEOUT = 90_000;

interface Session {
  t: RunTestApp;
  page: Page;
  origin: string;
  /** Uncaught page errors and CSP violations seen so far (must stay empty). */
  problems: string[];
}

describe.skipIf(!fs.existsSync(CHROMIUM))("playground in a real browser", () => {
  let browser: Browser;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
    fs.mkdirSync(SHOTS, { recursive: true });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  /** A fresh server + Ollama stand-in + browser tab, with the page loaded. */
  async function open(env: Env = {}, overrides: ServiceOverrides = {}, before?: (t: RunTestApp) => Promise<void>): Promise<Session> {
    const t = await makeRunApp(env, {}, overrides);
    cleanups.push(async () => {
      await t.close();
      fs.rmSync(t.dataDir, { recursive: true, force: true });
    });
    await before?.(t);
    const server = await listen(t.app);
    cleanups.push(() => server.close());
    const origin = server.baseURL.replace(/\/v1$/, "");
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    cleanups.push(() => context.close());
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
    page.on("console", (msg) => {
      if (/Content Security Policy|Refused to/i.test(msg.text())) problems.push(`CSP: ${msg.text()}`);
    });
    await page.goto(`${origin}/`);
    return { t, page, origin, problems };
  }

  async function shot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
  }

  /** Drops files on the drop zone the way a person's drag and drop does (a DataTransfer with File objects). */
  async function dropFiles(page: Page, files: Array<{ name: string; bytes: Buffer; type: string }>): Promise<void> {
    const payload = files.map((f) => ({ name: f.name, type: f.type, b64: f.bytes.toString("base64") }));
    const dataTransfer = await page.evaluateHandle((list) => {
      const dt = new DataTransfer();
      for (const f of list) {
        const bin = Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0));
        dt.items.add(new File([bin], f.name, { type: f.type }));
      }
      return dt;
    }, payload);
    await page.dispatchEvent("#dropzone", "dragover", { dataTransfer });
    await page.dispatchEvent("#dropzone", "drop", { dataTransfer });
  }

  it("creates an assistant, ingests a dropped PDF, streams an answer with a citation that opens the file", async () => {
    // Embedding waits for a gate, so the page can be seen while the files are still being ingested.
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const embedder = {
      model: "nomic-embed-text",
      embed: async (texts: string[]) => {
        await gate;
        return texts.map((text) => hashEmbedding(text, 64));
      },
    };
    const { t, page, problems } = await open({}, { embedder });
    await page.waitForSelector("body[data-ready=true]", WAIT);
    await page.getByText("Ollama 0.12.3 · 2 models").waitFor(WAIT);

    // Create the assistant through the form; the model menu lists what Ollama has (not its embedding model).
    await page.getByRole("button", { name: "+ New" }).first().click();
    const models = await page.locator("#a-model option").allTextContents();
    expect(models).toEqual(["llama3.2:3b", "tiny:1b"]);
    await page.getByLabel("Name", { exact: true }).fill("Docs helper");
    // Scoped: the conversation panel (hidden here) has a model menu too.
    await page.locator("#assistant-form").getByLabel("Model").selectOption("llama3.2:3b");
    await page.getByLabel("Instructions").fill("Answer from the attached documents and cite them.");
    await page.getByRole("checkbox", { name: /file_search/ }).check();
    await page.getByRole("button", { name: "Create assistant" }).click();
    await page.locator("#assistant-list").getByText("Docs helper").waitFor(WAIT);
    await page.getByText("Created.").waitFor(WAIT);
    const [created] = (await t.client.beta.assistants.list()).data;
    expect(created).toMatchObject({ name: "Docs helper", model: "llama3.2:3b", instructions: "Answer from the attached documents and cite them." });
    expect(created!.tools.map((tool) => tool.type)).toEqual(["file_search"]);
    await shot(page, "01-assistant-created");

    // Drop a PDF with text and a scanned one (no text layer): a store is created and attached; each
    // file shows its ingestion status until done, the failure with its reason.
    await dropFiles(page, [
      { name: "four-pages.pdf", bytes: fs.readFileSync(PDF_DIR + "pdflatex-4-pages.pdf"), type: "application/pdf" },
      { name: "scan.pdf", bytes: blankScanPdf(), type: "application/pdf" },
    ]);
    await page.locator('.file-row[data-status="in_progress"]', { hasText: "four-pages.pdf" }).waitFor(WAIT);
    await page.getByText(/^0 ready, [12] in progress/).waitFor(WAIT);
    await page.locator("#knowledge").scrollIntoViewIfNeeded();
    await shot(page, "02-knowledge-ingesting");
    openGate();
    await page.locator('.file-row[data-status="completed"]', { hasText: "four-pages.pdf" }).waitFor(WAIT);
    const failed = page.locator('.file-row[data-status="failed"]', { hasText: "scan.pdf" });
    await failed.waitFor(WAIT);
    expect((await failed.locator(".file-error").textContent())!.length).toBeGreaterThan(10);
    await page.getByText("1 ready, 1 failed").waitFor(WAIT);
    const withStore = await t.client.beta.assistants.retrieve(created!.id);
    const storeId = withStore.tool_resources?.file_search?.vector_store_ids?.[0];
    expect(storeId).toMatch(/^vs_/);
    expect((await t.client.vectorStores.files.list(storeId!)).data.map((f) => f.status).sort()).toEqual(["completed", "failed"]);
    await shot(page, "03-knowledge-ingested");

    // Another store can be created and attached, and the first one attached again from the menu.
    await page.getByLabel("New vector store name").fill("Empty store");
    await page.getByRole("button", { name: "Create", exact: true }).click();
    await page.getByText("The store is empty. Drop files below.").waitFor(WAIT);
    await expect
      .poll(async () => (await t.client.beta.assistants.retrieve(created!.id)).tool_resources?.file_search?.vector_store_ids?.[0], WAIT)
      .not.toBe(storeId);
    await page.getByLabel("Vector store", { exact: true }).selectOption(storeId!);
    await page.getByText("1 ready, 1 failed").waitFor(WAIT);
    expect((await t.client.beta.assistants.retrieve(created!.id)).tool_resources?.file_search?.vector_store_ids).toEqual([storeId]);

    // Ask: the model searches, then answers slowly enough to watch the tokens arrive.
    const answer = "The document is sample text that shows how a printed page will look [1]. It carries no real information.";
    t.ollama.script(
      { toolCalls: [{ name: "file_search", arguments: { query: "what is the document about" } }] },
      (body: ChatBody) => {
        expect(JSON.stringify(body.messages)).toContain("four-pages.pdf");
        return { text: answer, delayMs: 90 };
      },
    );
    await page.getByLabel("Message").fill("What is the document about?");
    await page.getByLabel("Message").press("Enter");
    // Part of the answer is on screen while the rest is still coming.
    await page.waitForFunction(() => {
      const text = document.querySelector(".msg.assistant.streaming .text")?.textContent ?? "";
      return text.includes("sample text") && !text.includes("real information");
    }, undefined, WAIT);
    await page.getByRole("button", { name: "Cancel run" }).waitFor(WAIT);
    await shot(page, "04-answer-streaming");

    const reply = page.locator(".msg.assistant").last();
    await reply.locator("button.cite").waitFor(WAIT);
    await expect.poll(() => reply.locator(".text").textContent(), WAIT).toBe(
      "The document is sample text that shows how a printed page will look 1. It carries no real information.",
    );
    // The reference shows what the API's annotation says: the file's name and the cited page.
    const threadId = await page.evaluate(() => JSON.parse(localStorage.getItem("local-assistants.selection")!).threadId as string);
    const [stored] = (await t.client.beta.threads.messages.list(threadId)).data;
    const content = stored!.content[0]!;
    if (content.type !== "text") throw new Error("expected a text reply");
    const citation = content.text.annotations[0]!;
    if (citation.type !== "file_citation") throw new Error("expected a file_citation");
    const pageNo = (citation.file_citation as { page?: number }).page;
    expect(pageNo).toBeGreaterThanOrEqual(1);
    expect(await reply.locator("button.cite").getAttribute("aria-label")).toBe(`Source 1: four-pages.pdf, page ${pageNo} (opens the file)`);
    expect(await reply.locator(".sources li").first().textContent()).toMatch(new RegExp(`^four-pages\\.pdf, p\\. ${pageNo}\\S`));
    // The file_search call with the passages it found.
    const search = page.locator(".tool.file_search");
    expect(await search.locator("summary").first().textContent()).toMatch(/file_search\s*\d+ passages? found/);
    expect(await search.locator(".passage").first().textContent()).toContain("text without a meaning");
    expect(await page.getByRole("button", { name: "Cancel run" }).isHidden()).toBe(true);
    await shot(page, "05-answer-with-citation");

    // The citation opens the cited file (fetched through the API) in a new tab.
    const [tab] = await Promise.all([page.waitForEvent("popup"), reply.locator("button.cite").click()]);
    await tab.waitForURL(/^blob:/, WAIT);
    expect(tab.url()).toMatch(new RegExp(`#page=${pageNo}$`));
    await tab.close();

    // Reloading shows the same thread from the API: messages, tool call, citation.
    await page.reload();
    await page.locator(".msg.assistant button.cite").waitFor(WAIT);
    expect(await page.locator("#thread-list .item-title").first().textContent()).toBe("What is the document about?");
    expect(await page.locator(".tool.file_search .passage").count()).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  }, TEST_TIMEOUT);

  it("a function call is answered through the page (requires_action → output → answer), code_interpreter shown", async () => {
    const codeInterpreter = codeInterpreterTool({ run: async (_scope, code) => ({ outputs: [{ type: "logs", logs: `42\n(ran ${code.length} chars)` }] }) });
    const { t, page, problems } = await open({}, { tools: [codeInterpreter] });
    await page.waitForSelector("body[data-ready=true]", WAIT);

    await page.getByLabel("Name", { exact: true }).fill("Weather bot");
    await page.getByRole("checkbox", { name: /code_interpreter/ }).check();
    await page.getByRole("button", { name: "Insert example" }).click();
    await page.getByRole("button", { name: "Create assistant" }).click();
    await page.locator("#assistant-list").getByText("Weather bot").waitFor(WAIT);
    const [assistant] = (await t.client.beta.assistants.list()).data;
    expect(assistant!.tools.map((tool) => (tool.type === "function" ? tool.function.name : tool.type))).toEqual(["code_interpreter", "get_weather"]);

    t.ollama.script(
      { toolCalls: [{ name: "code_interpreter", arguments: { code: "console.log(6 * 7)" } }] },
      { toolCalls: [{ name: "get_weather", arguments: { city: "Paris" } }] },
      { text: "It is 18 °C in Paris, and 6 × 7 = 42.", delayMs: 20 },
    );
    await page.getByLabel("Message").fill("What is 6 × 7, and the weather in Paris?");
    await page.getByRole("button", { name: "Send" }).click();

    const output = page.getByLabel("Output of get_weather");
    await output.waitFor(WAIT);
    const ci = page.locator(".tool.code_interpreter");
    expect(await ci.locator("pre.code").textContent()).toBe("console.log(6 * 7)");
    expect(await ci.locator("pre.output").textContent()).toBe("42\n(ran 18 chars)");
    expect(await page.locator(".tool.function pre.code").textContent()).toBe('{\n  "city": "Paris"\n}');
    expect(await page.getByRole("button", { name: "Send" }).isDisabled()).toBe(true);
    await page.getByText("Submit the function outputs above").waitFor(WAIT);
    expect(await page.evaluate(() => document.activeElement?.getAttribute("data-call-id"))).toBeTruthy();
    // A reload finds the waiting run again (from the API's run and steps) and offers the same box.
    await page.reload();
    await output.waitFor(WAIT);
    expect(await page.locator(".tool.code_interpreter pre.output").textContent()).toBe("42\n(ran 18 chars)");
    await page.getByText("Submit the function outputs above").waitFor(WAIT);
    await output.fill('{"temperature_c": 18}');
    await shot(page, "06-function-requires-action");

    await page.getByRole("button", { name: "Submit outputs" }).click();
    await page.locator(".msg.assistant:not(.streaming)", { hasText: "It is 18 °C in Paris" }).waitFor(WAIT);
    expect(await page.locator(".tool.function pre.output").textContent()).toBe('{"temperature_c": 18}');
    const toolMessage = t.ollama.chatRequests.at(-1)!.messages.find((m) => m.role === "tool" && m.content.includes("temperature_c"));
    expect(toolMessage?.content).toContain('{"temperature_c": 18}');
    expect(await page.getByRole("button", { name: "Send" }).isEnabled()).toBe(true);
    await shot(page, "07-function-answered");

    // Edit: rename and drop the function; then delete the assistant.
    await page.getByLabel("Name", { exact: true }).fill("Calculator");
    await page.getByLabel(/^Functions/).fill("");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.locator("#assistant-list").getByText("Calculator").waitFor(WAIT);
    const edited = await t.client.beta.assistants.retrieve(assistant!.id);
    expect(edited.name).toBe("Calculator");
    expect(edited.tools.map((tool) => tool.type)).toEqual(["code_interpreter"]);
    // Invalid function JSON is caught in the page, next to the field.
    await page.getByLabel(/^Functions/).fill("[{ not json");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByText("Function definitions are not valid JSON").waitFor(WAIT);
    expect(await page.getByLabel(/^Functions/).getAttribute("aria-invalid")).toBe("true");
    page.once("dialog", (dialog) => void dialog.accept());
    await page.getByRole("button", { name: "Delete assistant" }).click();
    await page.locator("#assistant-list").getByText("No assistants yet.").waitFor(WAIT);
    expect((await t.client.beta.assistants.list()).data).toEqual([]);
    expect(problems).toEqual([]);
  }, TEST_TIMEOUT);

  it("errors say what to do: Ollama down, model missing (never a blank screen)", async () => {
    const { t, page, problems } = await open({}, {}, async (app) => {
      await app.assistant({ name: "Offline test", model: "llama3.2:3b" });
    });
    await page.locator("#assistant-list").getByText("Offline test").waitFor(WAIT);

    await t.ollama.setDown(true);
    await page.getByLabel("Message").fill("Hello?");
    await page.getByLabel("Message").press("Enter");
    const error = page.locator(".run .callout.error");
    await error.waitFor(WAIT);
    const text = await error.textContent();
    expect(text).toContain("The run failed");
    expect(text).toContain(`Ollama is not reachable at ${t.ollama.url}: start it with ollama serve`);
    expect(await error.locator("code").first().textContent()).toBe("ollama serve");
    // The header and the banner say so too (the page re-checks /health after such a failure).
    await page.locator("#health", { hasText: "Ollama not reachable" }).waitFor(WAIT);
    await page.locator("#banner", { hasText: "ollama serve" }).waitFor(WAIT);
    expect(await page.getByRole("button", { name: "Send" }).isEnabled()).toBe(true);
    await shot(page, "08-error-ollama-down");

    // Ollama back, but the assistant names a model it does not have.
    await t.ollama.setDown(false);
    await t.assistant({ name: "Missing model", model: "qwen9:70b" });
    await page.reload();
    await page.locator("#assistant-list").getByText("Missing model").click();
    await page.locator("#model-hint", { hasText: "ollama pull qwen9:70b" }).waitFor(WAIT);
    await page.getByLabel("Message").fill("Hello?");
    await page.getByLabel("Message").press("Enter");
    const missing = page.locator(".run .callout.error");
    await missing.waitFor(WAIT);
    expect(await missing.textContent()).toContain("Model 'qwen9:70b' is not available in Ollama: run ollama pull qwen9:70b.");
    expect(await page.locator("#banner").isHidden()).toBe(true);
    await shot(page, "09-error-model-missing");
    expect(problems).toEqual([]);
  }, TEST_TIMEOUT);

  it("a running answer can be cancelled", async () => {
    const { t, page, problems } = await open({}, {}, async (app) => {
      await app.assistant({ name: "Slow talker" });
    });
    await page.locator("#assistant-list").getByText("Slow talker").waitFor(WAIT);
    t.ollama.script({ text: Array.from({ length: 200 }, (_, i) => `word${i}`).join(" "), delayMs: 50 });
    await page.getByLabel("Message").fill("Talk for a long time.");
    await page.getByLabel("Message").press("Enter");
    await page.waitForFunction(() => (document.querySelector(".msg.assistant.streaming .text")?.textContent ?? "").includes("word2"), undefined, WAIT);
    await page.getByRole("button", { name: "Cancel run" }).click();
    await page.locator(".run .callout", { hasText: "Run cancelled." }).waitFor(WAIT);
    expect(await page.getByRole("button", { name: "Cancel run" }).isHidden()).toBe(true);
    const threadId = await page.evaluate(() => JSON.parse(localStorage.getItem("local-assistants.selection")!).threadId as string);
    const [run] = (await t.client.beta.threads.runs.list(threadId)).data;
    expect(run!.status).toBe("cancelled");
    await shot(page, "10-run-cancelled");
    expect(problems).toEqual([]);
  }, TEST_TIMEOUT);

  it("with API_KEY set, asks for the key once, keeps it in session storage, and says when it is wrong", async () => {
    const { page, problems } = await open({ API_KEY: "sk-local-e2e" }, {}, async (app) => {
      await app.assistant({ name: "Behind a key" });
    });
    const dialog = page.getByRole("dialog", { name: "API key" });
    await dialog.waitFor(WAIT);
    // Without the key, /health says only that the server is up; with it, what Ollama has.
    await page.locator("#health", { hasText: "Server up" }).waitFor(WAIT);
    await shot(page, "11-api-key-asked");
    await dialog.getByLabel("API key").fill("wrong-key");
    await dialog.getByRole("button", { name: "Use this key" }).click();
    await dialog.getByText("Incorrect API key provided.").waitFor(WAIT);
    await dialog.getByLabel("API key").fill("sk-local-e2e");
    await dialog.getByRole("button", { name: "Use this key" }).click();
    await page.locator("#assistant-list").getByText("Behind a key").waitFor(WAIT);
    await page.getByText("Ollama 0.12.3 · 2 models").waitFor(WAIT);
    expect(await dialog.isHidden()).toBe(true);
    expect(await page.evaluate(() => sessionStorage.getItem("local-assistants.apiKey"))).toBe("sk-local-e2e");
    // Asked once: a reload in the same tab goes straight in.
    await page.reload();
    await page.waitForSelector("body[data-ready=true]", WAIT);
    expect(await dialog.isHidden()).toBe(true);
    expect(await page.getByRole("button", { name: /API key \(set\)/ }).isVisible()).toBe(true);
    await shot(page, "12-api-key-accepted");
    expect(problems).toEqual([]);
  }, TEST_TIMEOUT);
  /** A code_interpreter whose "sandbox" prints a fixed answer, so the page's output can be checked exactly. */
  function fakeCodeInterpreter(logs: (code: string) => string) {
    return codeInterpreterTool({ run: async (_scope, code) => ({ outputs: [{ type: "logs", logs: logs(code) }] }) });
  }

  /** The conversation the page has open (from its saved selection). */
  async function openConversationId(page: Page): Promise<string> {
    return page.evaluate(() => JSON.parse(localStorage.getItem("local-assistants.selection")!).conversationId as string);
  }

  /** Conversations as the server lists them (GET /v1/conversations, beyond the SDK), newest first. */
  async function listConversations(t: RunTestApp): Promise<Array<{ id: string; metadata: Record<string, string> }>> {
    return ((await (await t.request("/v1/conversations")).json()) as { data: Array<{ id: string; metadata: Record<string, string> }> }).data;
  }

  it("a conversation made on the page streams a Responses API answer with a citation that opens the cited file", async () => {
    let storeId = "";
    const { t, page, problems } = await open({}, {}, async (app) => {
      storeId = (await storeOf(app, { "saturn.txt": "Saturn is a gas giant with bright rings. Its moon Titan has a thick nitrogen atmosphere and lakes of liquid methane." }, "Planets")).store.id;
    });
    await page.waitForSelector("body[data-ready=true]", WAIT);
    await page.locator("#conversation-list").getByText("No conversations yet.").waitFor(WAIT);

    await page.getByRole("button", { name: "New conversation" }).click();
    await page.locator("#chat-title", { hasText: "New conversation" }).waitFor(WAIT);
    // Without a store, file_search has nothing to read: the box says where to choose one.
    expect(await page.getByRole("checkbox", { name: /file_search/ }).isDisabled()).toBe(true);
    await page.getByLabel("Vector store", { exact: true }).selectOption(storeId);
    await page.getByText("1 ready").waitFor(WAIT);
    expect(await page.getByRole("checkbox", { name: /file_search/ }).isChecked()).toBe(true);
    expect(await page.getByRole("checkbox", { name: /code_interpreter/ }).isChecked()).toBe(true);

    const answer = "Titan has a thick nitrogen atmosphere [1]. Its lakes hold liquid methane, not water.";
    t.ollama.script(
      { toolCalls: [{ name: "file_search", arguments: { query: "Titan atmosphere" } }] },
      (body: ChatBody) => {
        expect(body.messages.at(-1)!.content).toMatch(/\[1\] saturn\.txt:[\s\S]*nitrogen atmosphere/);
        return { text: answer, delayMs: 90 };
      },
    );
    await page.getByLabel("Message").fill("What is Titan's atmosphere made of?");
    await page.getByLabel("Message").press("Enter");
    // The answer streams: part of it is on screen while the rest is still coming, and it can be cancelled.
    await page.waitForFunction(() => {
      const text = document.querySelector(".response .msg.assistant.streaming .text")?.textContent ?? "";
      return text.includes("nitrogen") && !text.includes("not water");
    }, undefined, WAIT);
    await page.getByRole("button", { name: "Cancel response" }).waitFor(WAIT);
    await shot(page, "13-conversation-streaming");

    const reply = page.locator(".response .msg.assistant").last();
    await reply.locator("button.cite").waitFor(WAIT);
    await expect.poll(() => reply.locator(".text").textContent(), WAIT).toBe("Titan has a thick nitrogen atmosphere 1. Its lakes hold liquid methane, not water.");
    const conversationId = await openConversationId(page);
    expect(conversationId).toMatch(/^conv_/);
    const fileId = (await t.client.vectorStores.files.list(storeId)).data[0]!.id;
    expect(await reply.locator("button.cite").getAttribute("data-file-id")).toBe(fileId);
    expect(await reply.locator("button.cite").getAttribute("aria-label")).toBe("Source 1: saturn.txt (opens the file)");
    expect(await reply.locator(".sources li").first().textContent()).toBe("saturn.txt");
    const search = page.locator(".response .tool.file_search");
    expect(await search.locator("summary").first().textContent()).toMatch(/file_search\s*1 passage found\s*Completed/);
    expect(await search.locator(".passage").first().textContent()).toContain("nitrogen atmosphere");
    expect(await page.getByRole("button", { name: "Cancel response" }).isHidden()).toBe(true);
    expect(await page.getByRole("button", { name: "Send" }).isEnabled()).toBe(true);
    await shot(page, "14-conversation-citation");

    // What the page sent: the model from its menu and both tools, in the conversation it made (titled by the
    // first message, the settings in its metadata), and the items the server added.
    expect(t.ollama.chatRequests[0]!.model).toBe("llama3.2:3b");
    expect(t.ollama.chatRequests[0]!.tools!.map((tool) => tool.function.name)).toEqual(["file_search", "code_interpreter"]);
    const [listed] = await listConversations(t);
    expect(listed).toMatchObject({ id: conversationId, metadata: { title: "What is Titan's atmosphere made of?", model: "llama3.2:3b", vector_store_id: storeId } });
    const items = (await t.client.conversations.items.list(conversationId, { order: "asc" })).data;
    expect(items.map((i) => i.type)).toEqual(["message", "file_search_call", "message"]);
    expect(await page.locator("#conversation-list .item-title").allTextContents()).toEqual(["What is Titan's atmosphere made of?"]);
    expect(await page.locator("#conversation-list .item[aria-current=true]").getAttribute("data-conversation-id")).toBe(conversationId);

    // The citation opens the cited file, fetched through the API, in a new tab.
    const [tab] = await Promise.all([page.waitForEvent("popup"), reply.locator("button.cite").click()]);
    await tab.waitForURL(/^blob:/, WAIT);
    expect(await tab.locator("body").textContent()).toContain("lakes of liquid methane");
    await tab.close();

    // A reload reopens the conversation from its items: question, search, cited answer.
    await page.reload();
    await page.locator(".response .msg.assistant button.cite").waitFor(WAIT);
    expect(await page.locator(".msg.user .text").first().textContent()).toBe("What is Titan's atmosphere made of?");
    expect(await page.locator(".response .tool.file_search .passage").first().textContent()).toContain("nitrogen atmosphere");
    expect(await page.locator("#conversation-id").textContent()).toBe(conversationId);
    expect(problems).toEqual([]);
  }, TEST_TIMEOUT);

  it("a conversation shows code_interpreter's code and output, streamed and after a reload", async () => {
    const { t, page, problems } = await open({}, { tools: [fakeCodeInterpreter((code) => `42\n(ran ${code.length} chars)`)] });
    await page.waitForSelector("body[data-ready=true]", WAIT);
    await page.getByRole("button", { name: "New conversation" }).click();
    t.ollama.script(
      { toolCalls: [{ name: "code_interpreter", arguments: { code: "console.log(6 * 7)" } }] },
      { text: "6 × 7 = 42, as the code printed.", delayMs: 20 },
    );
    await page.getByLabel("Message").fill("Compute 6 × 7 with code.");
    await page.getByRole("button", { name: "Send" }).click();
    await page.locator(".response .msg.assistant:not(.streaming)", { hasText: "6 × 7 = 42, as the code printed." }).waitFor(WAIT);
    const ci = page.locator(".response .tool.code_interpreter");
    expect(await ci.locator("pre.code").textContent()).toBe("console.log(6 * 7)");
    expect(await ci.locator("pre.output").textContent()).toBe("42\n(ran 18 chars)");
    expect(await ci.locator(".chip").textContent()).toBe("Completed");
    // The code's output went back to the model as the tool's result.
    expect(t.ollama.chatRequests[1]!.messages.at(-1)).toMatchObject({ role: "tool", tool_name: "code_interpreter" });
    expect(t.ollama.chatRequests[1]!.messages.at(-1)!.content).toContain("42");
    await shot(page, "15-conversation-code-interpreter");

    // Turning code_interpreter off is kept in the conversation and the next response is offered no tool.
    const conversationId = await openConversationId(page);
    await page.getByRole("checkbox", { name: /code_interpreter/ }).uncheck();
    await expect.poll(async () => (await t.client.conversations.retrieve(conversationId)).metadata, WAIT).toMatchObject({ tools: "" });
    t.ollama.script({ text: "No code this time." });
    await page.getByLabel("Message").fill("And without code?");
    await page.getByLabel("Message").press("Enter");
    await page.locator(".response .msg.assistant:not(.streaming)", { hasText: "No code this time." }).waitFor(WAIT);
    expect(t.ollama.chatRequests[2]!.tools ?? []).toEqual([]);

    await page.reload();
    await page.locator(".response .tool.code_interpreter pre.output").waitFor(WAIT);
    expect(await page.locator(".response .tool.code_interpreter pre.output").textContent()).toBe("42\n(ran 18 chars)");
    expect(await page.locator(".msg.user .text").allTextContents()).toEqual(["Compute 6 × 7 with code.", "And without code?"]);
    expect(await page.getByRole("checkbox", { name: /code_interpreter/ }).isChecked()).toBe(false);
    expect(problems).toEqual([]);
  }, TEST_TIMEOUT);

  it("lists conversations made through the API too, newest first, and reopens one with its items", async () => {
    const ids: string[] = [];
    const { page, problems } = await open({}, { tools: [fakeCodeInterpreter(() => "4")] }, async (app) => {
      ids.push((await app.client.conversations.create({ metadata: { title: "Older talk" }, items: [{ type: "message", role: "user", content: "Hello from the API" }] })).id);
      // No title: the page names it by its first message. Its items come from a response made through the SDK.
      const untitled = await app.client.conversations.create();
      ids.push(untitled.id);
      app.ollama.script({ toolCalls: [{ name: "code_interpreter", arguments: { code: "console.log(2 + 2)" } }] }, { text: "2 + 2 = 4." });
      const response = await app.client.responses.create({
        model: "gpt-4o",
        conversation: untitled.id,
        input: "Add two and two.",
        tools: [{ type: "code_interpreter", container: { type: "auto" } }],
      });
      expect(response.status).toBe("completed");
    });
    await page.waitForSelector("body[data-ready=true]", WAIT);
    const titles = page.locator("#conversation-list .item-title");
    await expect.poll(() => titles.allTextContents(), WAIT).toEqual(["Add two and two.", "Older talk"]);
    expect(await page.locator("#conversation-list .item").evaluateAll((els) => els.map((el) => el.getAttribute("data-conversation-id")))).toEqual([ids[1], ids[0]]);

    await page.locator("#conversation-list").getByText("Add two and two.").click();
    const ci = page.locator(".response .tool.code_interpreter");
    await ci.waitFor(WAIT);
    expect(await ci.locator("pre.code").textContent()).toBe("console.log(2 + 2)");
    expect(await ci.locator("pre.output").textContent()).toBe("4");
    expect(await page.locator(".msg.user .text").allTextContents()).toEqual(["Add two and two."]);
    expect(await page.locator(".response .msg.assistant .text").allTextContents()).toEqual(["2 + 2 = 4."]);
    expect(await page.locator("#chat-title").textContent()).toBe("Add two and two.");
    await shot(page, "16-conversations-from-the-api");

    await page.locator("#conversation-list").getByText("Older talk").click();
    await page.locator(".msg.user", { hasText: "Hello from the API" }).waitFor(WAIT);
    expect(await page.locator(".response").count()).toBe(0);
    expect(await page.locator("#conversation-list .item[aria-current=true] .item-title").textContent()).toBe("Older talk");
    expect(await page.locator("#conversation-id").textContent()).toBe(ids[0]);
    expect(problems).toEqual([]);
  }, TEST_TIMEOUT);

  it("on an OpenAI-compatible model server (LLM_BACKEND=openai) the header names it and a conversation answers from it", async () => {
    const upstream = await startOpenAiServerFake({ chatModels: [{ id: "Qwen/Qwen3-8B" }] });
    cleanups.push(() => upstream.close());
    const { page, problems } = await open({ LLM_BACKEND: "openai", LLM_BASE_URL: upstream.url, CHAT_MODEL: "Qwen/Qwen3-8B", EMBEDDING_MODEL: "" });
    await page.waitForSelector("body[data-ready=true]", WAIT);
    await page.locator("#health", { hasText: "Model server · 1 model" }).waitFor(WAIT);
    await page.getByRole("button", { name: "New conversation" }).click();
    // The served id is in the menu, with no "ollama pull" hint under it (it is not an Ollama tag).
    expect(await page.locator("#c-model").inputValue()).toBe("Qwen/Qwen3-8B");
    expect(await page.locator("#c-model-hint").isHidden()).toBe(true);
    upstream.script({ text: "Served from the GPU box." });
    await page.getByLabel("Message").fill("Where do you run?");
    await page.getByLabel("Message").press("Enter");
    await page.locator(".response .msg.assistant .text", { hasText: "Served from the GPU box." }).waitFor(WAIT);
    expect(upstream.chatRequests.at(-1)).toMatchObject({ model: "Qwen/Qwen3-8B", stream: true });
    await shot(page, "20-openai-compatible-backend");
    expect(problems).toEqual([]);
  }, TEST_TIMEOUT);

  it("with no Ollama (LLM_BACKEND=auto) the embedded engine answers, and the header says so with the model it loaded", async () => {
    const model = path.resolve("test/fixtures/models/stories260K.gguf");
    const { page, problems } = await open({ LLM_BACKEND: "auto", OLLAMA_HOST: "http://127.0.0.1:9", EMBEDDED_CHAT_MODEL: model, EMBEDDED_EMBEDDING_MODEL: "", EMBEDDED_THREADS: "1" });
    await page.waitForSelector("body[data-ready=true]", WAIT);
    await page.locator("#health", { hasText: "Embedded engine" }).waitFor(WAIT);
    await page.getByRole("button", { name: "New conversation" }).click();
    await page.getByRole("checkbox", { name: /code_interpreter/ }).uncheck();
    await page.getByLabel("Message").fill("Once upon a time");
    await page.getByLabel("Message").press("Enter");
    const reply = page.locator(".response .msg.assistant .text").last();
    await expect.poll(async () => ((await reply.textContent()) ?? "").trim().length, WAIT).toBeGreaterThan(0);
    // The toy model writes until its context is full (seconds on a busy CI machine): stopping it is enough here.
    const cancel = page.getByRole("button", { name: "Cancel response" });
    await cancel.click({ timeout: 2000 }).catch(() => undefined); // already over on a fast machine: nothing to stop
    await cancel.waitFor({ ...WAIT, state: "hidden" });
    expect(await page.locator("#health").textContent()).toBe("Embedded engine · 1 model");
    await page.reload(); // the header asks /health at load (and every 15 s): the model is in memory now
    await page.waitForSelector("body[data-ready=true]", WAIT);
    await expect.poll(() => page.locator("#health").getAttribute("title"), WAIT).toContain("Embedded engine; loaded: stories260K.gguf");
    await shot(page, "21-embedded-engine");
    expect(problems).toEqual([]);
  }, TEST_TIMEOUT);

  it("while the embedded engine downloads its model, a box shows each file's progress, polled every second, until it is done", async () => {
    const model = fs.readFileSync(path.resolve("test/fixtures/models/stories260K.gguf"));
    const modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), "la-e2e-models-"));
    cleanups.push(async () => fs.rmSync(modelsDir, { recursive: true, force: true }));
    const files = await heldFileServer("/stories260K.gguf", model);
    const { page, problems } = await open({
      LLM_BACKEND: "embedded",
      EMBEDDED_CHAT_MODEL: `${files.url}/stories260K.gguf`,
      MODELS_DIR: modelsDir,
      EMBEDDED_EMBEDDING_MODEL: "",
      EMBEDDED_THREADS: "1",
      EMBEDDED_DOWNLOAD_STALL_SECONDS: "120", // the held half must not read as a dead server on a slow machine
    });
    cleanups.push(() => files.close()); // runs before the app's close (cleanups run last first), so a held download ends
    const healthAsks: number[] = [];
    page.on("request", (req) => {
      if (new URL(req.url()).pathname === "/health") healthAsks.push(Date.now());
    });
    await page.waitForSelector("body[data-ready=true]", WAIT);
    await page.locator("#health", { hasText: "Embedded engine · no chat model" }).waitFor(WAIT);
    expect(await page.locator("#downloads").isHidden()).toBe(true);

    await page.getByRole("button", { name: "New conversation" }).click();
    await page.getByRole("checkbox", { name: /code_interpreter/ }).uncheck();
    await page.getByLabel("Message").fill("Once upon a time");
    await page.getByLabel("Message").press("Enter");
    // The first message downloads the model (saved as <host>_<file>); the server holds its second half.
    const name = "127.0.0.1_stories260K.gguf";
    const bar = page.getByRole("progressbar", { name: `Downloading ${name}` });
    await bar.waitFor(WAIT);
    await expect.poll(async () => Number(await bar.getAttribute("value")), WAIT).toBe(files.half);
    const row = await page.locator("#downloads .download-row").evaluate((el) => ({
      name: el.querySelector(".file-name")?.textContent,
      value: el.querySelector("progress")?.value,
      max: el.querySelector("progress")?.max,
      amount: el.querySelector(".small")?.textContent,
    }));
    expect(row).toEqual({ name, value: files.half, max: model.length, amount: `0.6 MB of 1.2 MB (${Math.floor((100 * files.half) / model.length)}%)` });
    // The header says it too, and the banner no longer says "the first message downloads it".
    expect(await page.locator("#health").textContent()).toBe("Embedded engine · downloading the model");
    expect(await page.locator("#banner").isHidden()).toBe(true);
    // While it downloads, /health is asked every second (not every 15 s).
    const asked = healthAsks.length;
    await expect.poll(() => healthAsks.length, { timeout: 6000 }).toBeGreaterThanOrEqual(asked + 3);
    await shot(page, "22-model-downloading");

    files.release();
    await page.locator("#downloads").waitFor({ ...WAIT, state: "hidden" });
    const doneAt = Date.now();
    const asksWhenDone = healthAsks.length;
    expect(await page.locator("#downloads .download-row").count()).toBe(0);
    await page.locator("#health", { hasText: "Embedded engine · 1 model" }).waitFor(WAIT);
    expect(fs.readFileSync(path.join(modelsDir, name)).equals(model)).toBe(true);
    const reply = page.locator(".response .msg.assistant .text").last();
    await expect.poll(async () => ((await reply.textContent()) ?? "").trim().length, WAIT).toBeGreaterThan(0);
    // The toy model writes until its context is full: stopping it is enough here (as above).
    const cancel = page.getByRole("button", { name: "Cancel response" });
    await cancel.click({ timeout: 2000 }).catch(() => undefined);
    await cancel.waitFor({ ...WAIT, state: "hidden" });
    // Done downloading: back to the usual pace, so 3 s pass without another /health.
    await new Promise((r) => setTimeout(r, Math.max(0, doneAt + 3000 - Date.now())));
    expect(healthAsks.length).toBe(asksWhenDone);
    expect(problems).toEqual([]);
  }, TEST_TIMEOUT);

  it("a model failure in a conversation shows an error box saying what happened (never a blank screen)", async () => {
    const { t, page, problems } = await open();
    await page.waitForSelector("body[data-ready=true]", WAIT);
    await page.getByRole("button", { name: "New conversation" }).click();
    t.ollama.script({ chunks: ["Let me"], errorLine: "model runner crashed" });
    await page.getByLabel("Message").fill("Hello?");
    await page.getByLabel("Message").press("Enter");
    const error = page.locator(".response .callout.error");
    await error.waitFor(WAIT);
    expect(await error.locator("strong").textContent()).toBe("The response failed");
    expect(await error.textContent()).toContain("model runner crashed");
    expect(await page.getByRole("button", { name: "Send" }).isEnabled()).toBe(true);
    expect(await page.getByRole("button", { name: "Cancel response" }).isHidden()).toBe(true);
    await shot(page, "17-conversation-model-failed");

    // Ollama down: the box says how to start it, and the header says so too.
    await t.ollama.setDown(true);
    await page.getByLabel("Message").fill("Anyone there?");
    await page.getByLabel("Message").press("Enter");
    const down = page.locator(".response .callout.error").last();
    await expect.poll(() => down.textContent(), WAIT).toContain(`Ollama is not reachable at ${t.ollama.url}: start it with ollama serve`);
    await page.locator("#health", { hasText: "Ollama not reachable" }).waitFor(WAIT);
    // A failed response adds nothing to the conversation.
    expect((await t.client.conversations.items.list(await openConversationId(page))).data).toEqual([]);
    await shot(page, "18-conversation-ollama-down");
    expect(problems).toEqual([]);
  }, TEST_TIMEOUT);
  it("a streaming response in a conversation can be cancelled", async () => {
    const { t, page, problems } = await open();
    await page.waitForSelector("body[data-ready=true]", WAIT);
    await page.getByRole("button", { name: "New conversation" }).click();
    t.ollama.script({ text: Array.from({ length: 200 }, (_, i) => `word${i}`).join(" "), delayMs: 50 });
    await page.getByLabel("Message").fill("Talk for a long time.");
    await page.getByLabel("Message").press("Enter");
    await page.waitForFunction(() => (document.querySelector(".response .msg.assistant.streaming .text")?.textContent ?? "").includes("word2"), undefined, WAIT);
    await page.getByRole("button", { name: "Cancel response" }).click();
    await page.locator(".response .callout", { hasText: "Response cancelled." }).waitFor(WAIT);
    expect(await page.getByRole("button", { name: "Cancel response" }).isHidden()).toBe(true);
    expect(await page.getByRole("button", { name: "Send" }).isEnabled()).toBe(true);
    // Cancelled on the server, and nothing of it joined the conversation.
    const conversationId = await openConversationId(page);
    expect((await t.client.conversations.items.list(conversationId)).data).toEqual([]);
    const responseId = await page.locator(".response").last().getAttribute("data-response-id");
    expect((await t.client.responses.retrieve(responseId!)).status).toBe("cancelled");
    await shot(page, "19-conversation-response-cancelled");
    expect(problems).toEqual([]);
  }, TEST_TIMEOUT);
});

/**
 * Serves one file as a file server does for a downloader (HEAD, Range requests), but sends only the bytes
 * before its middle until release() is called, so a page can be looked at while the download is under way.
 */
async function heldFileServer(route: string, body: Buffer): Promise<{ url: string; half: number; release(): void; close(): Promise<void> }> {
  const half = Math.floor(body.length / 2);
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const server = http.createServer((req, res) => {
    if (req.url !== route) return void res.writeHead(404).end("not found");
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
    const start = range ? Number(range[1]) : 0;
    const end = range?.[2] ? Number(range[2]) : body.length - 1;
    res.writeHead(range ? 206 : 200, {
      "content-type": "application/octet-stream",
      "accept-ranges": "bytes",
      "content-length": String(end - start + 1),
      ...(range ? { "content-range": `bytes ${start}-${end}/${body.length}` } : {}),
    });
    if (req.method === "HEAD") return void res.end();
    // Whatever range is asked for, nothing from the middle on leaves before the release.
    res.write(body.subarray(start, Math.max(start, Math.min(end + 1, half))));
    void released.then(() => {
      if (!res.destroyed) res.end(body.subarray(Math.max(start, half), end + 1));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    half,
    release,
    // Released first: a download cut off would be retried until the stall timeout, holding up the app's close.
    close: () =>
      new Promise<void>((resolve) => {
        release();
        server.close(() => resolve());
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      }),
  };
}
