import type { Response, ResponseEvent } from "../api/responses-wire.js";
import type { Toolbox } from "../tools/toolbox.js";

/**
 * Responses and events as a request asked to see them: what built-in call items keep back unless `include[]`
 * names it (file_search results, code_interpreter outputs; stored either way) is shown as null.
 */
export class ResponsePresenter {
  constructor(private readonly tools: Toolbox) {}

  response(response: Response, include: readonly string[]): Response {
    return { ...response, output: response.output.map((item) => this.tools.presentItem(item, include)) };
  }

  event(event: ResponseEvent, include: readonly string[]): ResponseEvent {
    if (event.response) return { ...event, response: this.response(event.response as Response, include) };
    if (event.item) return { ...event, item: this.tools.presentItem(event.item as { type: string }, include) };
    return event;
  }
}
