/** The transfer log in vsftpd's xferlog format. (Stub: the xferlog work fills this in.) */
export class XferLog {
  private constructor(readonly path: string) {}

  static async open(path: string): Promise<XferLog> {
    return new XferLog(path);
  }
}
