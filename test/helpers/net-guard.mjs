// Loaded into the burst CLI by the twin tests (NODE_OPTIONS=--import): every outgoing TCP
// connection is checked before it is made. One whose address is not loopback or a prefix in
// BURST_NET_GUARD_ALLOW (comma-separated, e.g. "10.150.") is refused, and recorded as a line in
// BURST_NET_GUARD_LOG, which the test asserts empty. A host name other than localhost counts as
// a violation too: resolving it already reaches for the outside.
import { appendFileSync } from "node:fs";
import net from "node:net";

const allowed = (process.env.BURST_NET_GUARD_ALLOW ?? "").split(",").filter(Boolean);
const log = process.env.BURST_NET_GUARD_LOG;

/** @param {string | undefined} host */
function permitted(host) {
  if (host === undefined || host === "localhost" || host === "::1" || host.startsWith("127.")) return true;
  return net.isIP(host) !== 0 && allowed.some((prefix) => host.startsWith(prefix));
}

const connect = net.Socket.prototype.connect;
/** @param {any[]} args */
net.Socket.prototype.connect = function guardedConnect(...args) {
  // net.connect() hands the socket its arguments already normalized, as one array [options, cb].
  const [first, second] = Array.isArray(args[0]) ? args[0] : args;
  // connect(options[, cb]), connect(port[, host][, cb]), connect(path[, cb]) (a unix socket: local).
  const options = typeof first === "object" && first !== null ? first : undefined;
  const host = options
    ? options.path
      ? undefined
      : (options.host ?? "localhost")
    : typeof first === "number" || /^\d+$/.test(String(first))
      ? typeof second === "string"
        ? second
        : "localhost"
      : undefined;
  if (!permitted(host)) {
    const line = `${new Date().toISOString()} pid ${process.pid} refused a connection to ${host}:${options?.port ?? first}\n`;
    if (log) appendFileSync(log, line);
    process.nextTick(() => this.destroy(new Error(`net guard: ${line.trim()}`)));
    return this;
  }
  return Reflect.apply(connect, this, args);
};
