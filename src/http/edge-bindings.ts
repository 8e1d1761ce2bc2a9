import type { HttpBindings } from "@hono/node-server";
import type { Context } from "hono";
import type { Principal } from "../objects/api-keys.js";

/** Turns an answer body or an event's data into the wire format the request asked for. */
export type Presenter = (value: unknown) => unknown;

/**
 * What the edge (edge.ts) hands every route on Hono's `c.env`, beside the node adapter's own bindings (the
 * socket's request and response; absent for in-process `app.request` calls).
 */
export interface EdgeBindings extends Partial<HttpBindings> {
  requestId: string;
  /** The request's path, read once for the edge and the router. */
  path: string;
  /** Who the request's key says it is: set for /v1 routes. */
  principal?: Principal;
  /** Set when the request asked for another wire format than the stored one (sse.ts applies it to events). */
  present?: Presenter;
}

/** The bindings; empty for a Hono app that is not behind the edge (a unit test's own). */
export function edgeBindings(c: Context): Partial<EdgeBindings> {
  return (c.env ?? {}) as Partial<EdgeBindings>;
}

export function requestIdOfContext(c: Context): string | undefined {
  return edgeBindings(c).requestId;
}

/** The principal of a /v1 request (the edge authenticated it before the route ran). */
export function principalOf(c: Context): Principal {
  const principal = edgeBindings(c).principal;
  if (principal === undefined) throw new Error(`${c.req.path} is no /v1 route: the edge authenticated nobody`);
  return principal;
}
