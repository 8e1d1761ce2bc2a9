/** Parsers of configuration values that are lists or URLs (config.ts uses them), apart to keep config.ts one concern. */

/** `s3://bucket/prefix` → bucket and prefix; null when it is not such a URL. */
export function parseS3Url(url: string): { bucket: string; prefix: string } | null {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (!match) return null;
  const prefix = (match[2] ?? "").replace(/^\/+|\/+$/g, "");
  return { bucket: match[1]!, prefix: prefix === "" ? "" : `${prefix}/` };
}

/**
 * OLLAMA_HOSTS's entries (trailing slashes dropped, each an http(s) URL), else OLLAMA_HOST alone; `fail` throws
 * config.ts's ConfigError (imported from there it would make a cycle).
 */
export function ollamaHosts(list: string | undefined, single: string, fail: (message: string) => never): string[] {
  const trim = (url: string) => url.trim().replace(/\/+$/, "");
  if (list === undefined) return [trim(single)];
  const hosts = list.split(",").map(trim).filter((h) => h !== "");
  for (const host of hosts) {
    if (!/^https?:\/\/[^/\s]+/.test(host)) fail(`OLLAMA_HOSTS: '${host}' is not an http(s) URL such as http://gpu-1:11434.`);
  }
  if (hosts.length === 0) fail("OLLAMA_HOSTS is set but lists no host: give comma-separated URLs such as http://gpu-1:11434,http://gpu-2:11434.");
  return [...new Set(hosts)];
}
