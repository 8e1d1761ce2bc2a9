import { INCLUDE_INPUT_IMAGE_URL } from "../api/responses.js";
import type { Response, ResponseEvent, ResponseItem } from "../api/responses-wire.js";
import type { Toolbox } from "../tools/toolbox.js";
import { zeroUsage } from "./response-writer.js";

/**
 * Responses and events as a request asked to see them: what built-in call items keep back unless `include[]`
 * names it (file_search results, code_interpreter outputs, input images' URLs; stored either way) is null.
 */
export class ResponsePresenter {
  constructor(private readonly tools: Toolbox) {}

  response(response: Response, include: readonly string[]): Response {
    // Rows stored before these fields existed get their defaults, so every response has the same shape.
    const stored = response as Partial<Response>;
    const filled = { ...response, presence_penalty: stored.presence_penalty ?? 0, frequency_penalty: stored.frequency_penalty ?? 0, usage: stored.usage ?? zeroUsage(), conversation: stored.conversation ?? null };
    return { ...filled, output: response.output.map((item) => this.tools.presentItem(item, include)) };
  }

  /** Any item as listed (a response's input, a conversation's items): both rules above. */
  item(item: ResponseItem, include: readonly string[]): ResponseItem {
    return this.tools.presentItem(this.inputItem(item, include), include) as ResponseItem;
  }

  /** An input item as listed: an input image's URL only with `message.input_image.image_url`. */
  inputItem(item: ResponseItem, include: readonly string[]): ResponseItem {
    if (item.type !== "message" || include.includes(INCLUDE_INPUT_IMAGE_URL) || !item.content.some((c) => c.type === "input_image")) return item;
    return { ...item, content: item.content.map((c) => (c.type === "input_image" ? { ...c, image_url: null } : c)) };
  }

  event(event: ResponseEvent, include: readonly string[]): ResponseEvent {
    if (event.response) return { ...event, response: this.response(event.response as Response, include) };
    if (event.item) return { ...event, item: this.tools.presentItem(event.item as { type: string }, include) };
    return event;
  }
}
