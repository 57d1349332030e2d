/**
 * Postgres CancelRequest (protocol 3.0): asks the server to cancel whatever a backend runs.
 * Sent on its own connection, without authentication.
 * @module
 */

import { connect } from "node:net";
import type { UpstreamAddress } from "./upstream.ts";

const CANCEL_REQUEST_CODE = 80877102;

/**
 * Send a CancelRequest for one backend and wait for the server to close the socket. Failures
 * are swallowed: the caller discards the connection anyway.
 *
 * @param address where the upstream Postgres listens
 * @param processId the backend's process id (BackendKeyData)
 * @param secretKey the backend's secret key (BackendKeyData)
 */
export function sendCancelRequest(address: UpstreamAddress, processId: number, secretKey: number): Promise<void> {
  const message = new DataView(new ArrayBuffer(16));
  message.setInt32(0, 16);
  message.setInt32(4, CANCEL_REQUEST_CODE);
  message.setInt32(8, processId);
  message.setInt32(12, secretKey);
  return new Promise((resolve) => {
    const socket = address.host.startsWith("/")
      ? connect({ path: `${address.host}/.s.PGSQL.${address.port}` })
      : connect({ host: address.host, port: address.port });
    socket.setTimeout(5_000, () => socket.destroy());
    socket.on("connect", () => socket.end(new Uint8Array(message.buffer)));
    socket.on("error", () => resolve());
    socket.on("close", () => resolve());
  });
}
