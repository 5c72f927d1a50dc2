import { isIP } from 'node:net';
import os from 'node:os';

/** Always accepted: a browser page can only get these names by being on this machine already. */
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];

/** `Host` header value → bare lower-case host name: no port, no IPv6 brackets, no trailing dot. */
export function hostName(value: string): string {
  let host = value.trim().toLowerCase();
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    host = end > 0 ? host.slice(1, end) : host;
  } else if (host.split(':').length === 2) {
    host = host.slice(0, host.indexOf(':'));
  }
  return host.replace(/\.$/, '');
}

/** Whether `host` is a loopback address or name (127.0.0.0/8, ::1, localhost). */
export function isLoopback(host: string): boolean {
  const h = hostName(host);
  return h === 'localhost' || h === '::1' || (isIP(h) === 4 && h.startsWith('127.'));
}

function isWildcard(host: string): boolean {
  const h = hostName(host);
  return h === '0.0.0.0' || h === '::' || h === '';
}

/**
 * Decides which `Host` header values the server answers, against DNS rebinding: a page on
 * evil.example whose name is made to resolve to this machine makes the browser send
 * `Host: evil.example`. Accepted are loopback names, the bind address, `allowedHosts`
 * (webhook.allowedHosts: the names a reverse proxy or forge uses), all with any port, and,
 * when bound to every interface, this machine's own interface addresses (an IP literal is
 * not a name anyone can re-point).
 */
export class HostCheck {
  private readonly names: Set<string>;

  constructor(allowedHosts: readonly string[] = []) {
    this.names = new Set([...LOOPBACK_NAMES, ...allowedHosts.map(hostName)]);
  }

  /** Called when the server binds: the bind address joins the accepted names. */
  bound(host: string): void {
    if (!isWildcard(host)) {
      this.names.add(hostName(host));
      return;
    }
    for (const list of Object.values(os.networkInterfaces())) {
      for (const a of list ?? []) this.names.add(hostName(a.address.replace(/%.*$/, '')));
    }
  }

  /** Whether a request with this `Host` header may be served. */
  allows(header: string | undefined): boolean {
    if (!header) return false;
    const host = hostName(header);
    return this.names.has(host) || (isIP(host) === 4 && host.startsWith('127.'));
  }
}
