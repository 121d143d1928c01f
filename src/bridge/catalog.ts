import { Host } from './host.js';
import type { HostConfig } from './config.js';
import { buildTools, type HostDiscovery, type ToolSpec } from './tools.js';

/**
 * The bridge's tool set across its hosts, kept current (docs/mcp.md "Refresh"): every host is
 * asked again every `refresh_seconds` and when a session reopens; listeners hear of a change.
 */
export class Catalog {
  readonly hosts: Host[];
  private readonly discovered = new Map<string, HostDiscovery>();
  private current: ToolSpec[] = [];
  private readonly listeners = new Set<(tools: readonly ToolSpec[]) => void>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly stopping = new AbortController();
  private readonly refreshing = new Set<string>();

  constructor(configs: readonly HostConfig[], private readonly report: (line: string) => void) {
    this.hosts = configs.map((c) => new Host(c));
  }

  get tools(): readonly ToolSpec[] {
    return this.current;
  }

  tool(name: string): { tool: ToolSpec; host: Host } | null {
    const tool = this.current.find((t) => t.name === name);
    const host = tool === undefined ? undefined : this.hosts.find((h) => h.config.alias === tool.host);
    return tool === undefined || host === undefined ? null : { tool, host };
  }

  /**
   * Asks every host once; the problems (a host down, a collision) come back, a collision is
   * fatal. With `budgetMs`, hosts that have not answered by then are left to join later (their
   * tools then come with a list-changed notification), so one slow host never holds the
   * agent's start-up.
   */
  async start(budgetMs: number | null = null): Promise<{ problems: string[]; fatal: string | null }> {
    const problems: string[] = [];
    const pending = new Set(this.hosts);
    const asked = this.hosts.map(async (host) => {
      const found = await host.discover(this.stopping.signal, this.report);
      if (!pending.delete(host)) {
        // Late: the bridge is already serving.
        if ('error' in found) this.report(`${host.config.alias}: ${found.error}`);
        else this.apply(host, found);
        return;
      }
      if ('error' in found) problems.push(`${host.config.alias}: ${found.error}`);
      else this.discovered.set(host.config.alias, found);
    });
    let timer: NodeJS.Timeout | undefined;
    const budget = budgetMs === null ? null : new Promise<void>((resolve) => (timer = setTimeout(resolve, budgetMs)));
    await Promise.race([Promise.all(asked), ...(budget === null ? [] : [budget])]);
    clearTimeout(timer);
    for (const host of pending) problems.push(`${host.config.alias}: no answer within ${Math.round((budgetMs ?? 0) / 1000)} s; still asking`);
    pending.clear();
    const built = this.build();
    if ('error' in built) return { problems, fatal: built.error };
    this.current = built.tools;
    return { problems, fatal: null };
  }

  /** Starts the periodic refresh and the refresh on reconnect. */
  watch(): void {
    for (const host of this.hosts) {
      const timer = setInterval(() => void this.refresh(host), host.config.refreshSeconds * 1000);
      timer.unref();
      this.timers.push(timer);
      host.pool.onReconnect = () => void this.refresh(host);
    }
  }

  onChange(listener: (tools: readonly ToolSpec[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.stopping.abort();
    for (const timer of this.timers) clearInterval(timer);
    for (const host of this.hosts) host.close();
  }

  /** Asks one host again; a host that does not answer keeps its last tools (their calls fail cleanly). */
  async refresh(host: Host): Promise<void> {
    const alias = host.config.alias;
    if (this.refreshing.has(alias)) return;
    this.refreshing.add(alias);
    try {
      const found = await host.discover(this.stopping.signal, this.report);
      if ('error' in found) return this.report(`refresh of ${alias}: ${found.error}`);
      this.apply(host, found);
    } finally {
      this.refreshing.delete(alias);
    }
  }

  /** Takes a host's new answer: its sessions are recycled when it changed, listeners hear of a new tool set. */
  private apply(host: Host, found: HostDiscovery): void {
    const alias = host.config.alias;
    const before = this.discovered.get(alias);
    this.discovered.set(alias, found);
    const built = this.build();
    if ('error' in built) {
      if (before !== undefined) this.discovered.set(alias, before);
      else this.discovered.delete(alias);
      return this.report(`refresh of ${alias}: ${built.error}; the previous tools stay`);
    }
    // A session keeps the config it started with: after a change, new sessions read the new one.
    if (before !== undefined && JSON.stringify(found) !== JSON.stringify(before)) host.pool.recycle();
    if (JSON.stringify(built.tools) === JSON.stringify(this.current)) return;
    this.current = built.tools;
    for (const listener of this.listeners) listener(this.current);
  }

  private build(): { tools: ToolSpec[] } | { error: string } {
    const found = this.hosts.map((h) => this.discovered.get(h.config.alias)).filter((d): d is HostDiscovery => d !== undefined);
    return buildTools(found, this.hosts.length > 1);
  }
}
