/**
 * A conversation's items as JSON lines, out of one server and into another, over the HTTP API (so it works
 * against any server that speaks it, this one or another):
 *
 *   npm run export -- conv_... > c.jsonl        (a thread_... works too: its messages and tool calls)
 *   npm run import < c.jsonl                     (prints the new conversation's id)
 *
 * BASE_URL (default http://127.0.0.1:8080/v1) and OPENAI_API_KEY say where and as whom.
 */

/** Every include, so the exported items carry what the model saw (search results, code outputs, image URLs). */
const INCLUDES = ["file_search_call.results", "code_interpreter_call.outputs", "message.input_image.image_url"];
/** The API takes at most this many items per call. */
const BATCH = 20;

export interface Server {
  baseURL: string;
  apiKey?: string | undefined;
}

async function call(server: Server, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${server.baseURL}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { ...(server.apiKey ? { authorization: `Bearer ${server.apiKey}` } : {}), ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${body === undefined ? "GET" : "POST"} ${path}: ${res.status} ${JSON.stringify(json.error ?? json)}`);
  return json;
}

/** Writes the conversation's items, oldest first, one JSON object per line. */
export async function exportConversation(server: Server, id: string, write: (line: string) => void): Promise<number> {
  let count = 0;
  const include = INCLUDES.map((i) => `&include[]=${encodeURIComponent(i)}`).join("");
  for (let after: string | null = null; ; ) {
    const page = await call(server, `/conversations/${encodeURIComponent(id)}/items?order=asc&limit=100${include}${after ? `&after=${encodeURIComponent(after)}` : ""}`);
    const items = page.data as { id: string }[];
    for (const item of items) write(JSON.stringify(item));
    count += items.length;
    if (!page.has_more || items.length === 0) return count;
    after = items.at(-1)!.id;
  }
}

/** Creates a conversation holding the items (JSON lines), in order; answers its id. */
export async function importConversation(server: Server, lines: readonly string[]): Promise<string> {
  const items = lines.filter((l) => l.trim() !== "").map((l, i) => {
    try {
      return JSON.parse(l) as unknown;
    } catch {
      throw new Error(`line ${i + 1} is not JSON`);
    }
  });
  const conversation = await call(server, "/conversations", { items: items.slice(0, BATCH) });
  const id = conversation.id as string;
  for (let i = BATCH; i < items.length; i += BATCH) await call(server, `/conversations/${id}/items`, { items: items.slice(i, i + BATCH) });
  return id;
}

async function main(argv: string[]): Promise<void> {
  const server: Server = { baseURL: process.env.BASE_URL ?? "http://127.0.0.1:8080/v1", apiKey: process.env.OPENAI_API_KEY };
  const [command, id] = argv;
  if (command === "export" && id) {
    await exportConversation(server, id, (line) => process.stdout.write(`${line}\n`));
  } else if (command === "import") {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    console.log(await importConversation(server, Buffer.concat(chunks).toString("utf8").split("\n")));
  } else {
    console.error("usage: npm run export -- <conversation or thread id> > items.jsonl | npm run import < items.jsonl");
    process.exit(2);
  }
}

if (process.argv[1]?.endsWith("conversation-transfer.ts")) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
