/**
 * One session's data connection: passive (PASV/EPSV) or active (PORT/EPRT), opened when a transfer
 * needs it. (Stub: the data-connection work fills this in.)
 */
export class DataConnections {
  /** Closes any listener or connection this session holds. */
  close(): void {}
}
