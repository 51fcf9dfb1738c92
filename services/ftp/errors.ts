/**
 * An error that already carries its FTP reply. Handlers throw these; the dispatcher answers with
 * the code and text and the session goes on. Anything else becomes `451` and a log line.
 */
export class FtpError extends Error {
  constructor(
    readonly replyCode: number,
    message: string,
    /** The system error behind it (`EACCES`...), which the session logs for the admin. */
    readonly systemCode?: string,
  ) {
    super(message);
    this.name = 'FtpError';
  }
}

// The replies that recur, worded once (RFC 959 section 4.2.1 lists the codes).
export const notLoggedIn = (): FtpError => new FtpError(530, 'Please login with USER and PASS.');
export const badSequence = (text = 'Bad sequence of commands.'): FtpError => new FtpError(503, text);
export const syntaxError = (text = 'Syntax error in parameters or arguments.'): FtpError => new FtpError(501, text);
export const notImplementedParameter = (text = 'Command not implemented for that parameter.'): FtpError =>
  new FtpError(504, text);
export const permissionDenied = (text = 'Permission denied.'): FtpError => new FtpError(550, text);
export const fileUnavailable = (text = 'No such file or directory.'): FtpError => new FtpError(550, text);
/** 450 (RFC 959 4.2: "file busy"): another session is writing the file in place, or reading it. */
export const fileBusy = (): FtpError => new FtpError(450, 'File busy: another session is reading or writing it.');
