/**
 * An address and port as one log field: `192.0.2.1:21`, and `[2001:db8::1]:21` for IPv6 (RFC 3986
 * 3.2.2's brackets), where `::1:21` would not say which colon starts the port.
 */
export function formatHostPort(address: string | undefined, port: number | undefined): string {
  const host = address ?? '?';
  return `${host.includes(':') ? `[${host}]` : host}:${port ?? '?'}`;
}
