"""Python's ftplib as an FTP client for the interop tests (test/interop/ftp-python.test.ts).

Usage: python3 ftplib-client.py PORT ACTION [ARGS...], with USER_NAME and USER_PASSWORD in the
environment for a local-user login (anonymous otherwise), TLS_MAX=1.2 to stop at TLS 1.2, and
FTP_ENCODING=latin-1 for ftplib's `encoding` (a Latin-1 client: é is the byte 0xE9 on the wire).
Prints one JSON object on standard output; an FTP
error reply is printed as {"error": "<reply>"} with exit status 3, so a test can tell a refusal
from a crash (a traceback, exit status 1).

Actions:
  mlsd PATH                      entries of MLSD PATH with their facts
  retr PATH OUT [REST]           retrbinary into OUT, from offset REST (REST STREAM) if given
  retrlines PATH                 retrlines (TYPE A) of PATH
  stor LOCAL PATH                storbinary LOCAL to PATH
  nlst [PATH]                    the names NLST gives
  rename FROM TO                 RNFR FROM, RNTO TO
  abort PATH                     RETR PATH, read 1000 bytes, abort() (ABOR sent with MSG_OOB, as
                                 ftplib does), read ABOR's own reply, then RETR PATH in full
  tls-retr MODE PATH OUT         FTP_TLS, PROT P, retrbinary; MODE is `reuse` (a subclass that
                                 resumes the control connection's TLS session on the data channel)
                                 or `stock` (ftplib's FTP_TLS as it is, which does not)
  tls-stor MODE LOCAL PATH       the same, uploading
  tls-mlsd MODE PATH             the same, MLSD
  tls-quit MODE                  the same, then QUIT: did TLS end with close_notify before the FIN?
"""

import ftplib
import json
import os
import ssl
import sys

HOST = '127.0.0.1'
TIMEOUT = 15


class ReusingFTP_TLS(ftplib.FTP_TLS):
    """FTP_TLS whose data connections resume the control connection's TLS session (RFC 4217 10.2),
    as servers that require session reuse (vsftpd's require_ssl_reuse, classicd's default) expect."""

    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            conn = self.context.wrap_socket(conn, server_hostname=self.host, session=self.sock.session)
            self.data_session_reused = conn.session_reused
        return conn, size


def login(ftp):
    user = os.environ.get('USER_NAME')
    if user:
        ftp.login(user, os.environ['USER_PASSWORD'])
    else:
        ftp.login()  # anonymous, password anonymous@


def tls_client(mode, port):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the server's certificate is self-signed
    if os.environ.get('TLS_MAX') == '1.2':
        context.maximum_version = ssl.TLSVersion.TLSv1_2
    ftp = (ReusingFTP_TLS if mode == 'reuse' else ftplib.FTP_TLS)(context=context, timeout=TIMEOUT)
    ftp.connect(HOST, port)
    ftp.auth()
    login(ftp)
    ftp.prot_p()
    return ftp


def plain_client(port):
    ftp = ftplib.FTP(timeout=TIMEOUT, encoding=os.environ.get('FTP_ENCODING', 'utf-8'))
    ftp.connect(HOST, port)
    login(ftp)
    return ftp


def retr(ftp, path, out, rest=None):
    with open(out, 'ab' if rest else 'wb') as file:
        ftp.retrbinary('RETR ' + path, file.write, rest=rest)
    return {'bytes': os.path.getsize(out)}


def stor(ftp, local, path):
    with open(local, 'rb') as file:
        ftp.storbinary('STOR ' + path, file)
    return {'stored': path}


def mlsd(ftp, path):
    return {'entries': [{'name': name, 'facts': facts} for name, facts in ftp.mlsd(path)]}


def quit_over_tls(ftp):
    """QUIT, then whether the server ended TLS with close_notify before its FIN: with ragged EOFs
    not suppressed, a bare FIN raises SSLEOFError; a close_notify reads as a clean b''."""
    ftp.sock.suppress_ragged_eofs = False
    ftp.putcmd('QUIT')
    reply = ftp.getresp()
    try:
        close_notify = ftp.sock.recv(1) == b''
    except ssl.SSLEOFError:
        close_notify = False
    ftp.close()
    return {'quit': reply, 'closeNotify': close_notify}


def main(argv):
    port, action, args = int(argv[1]), argv[2], argv[3:]
    result = {}
    if action.startswith('tls-'):
        mode, args = args[0], args[1:]
        ftp = tls_client(mode, port)
        if action == 'tls-quit':
            print(json.dumps(quit_over_tls(ftp)))
            return
        if action == 'tls-retr':
            result = retr(ftp, args[0], args[1])
        elif action == 'tls-stor':
            result = stor(ftp, args[0], args[1])
        elif action == 'tls-mlsd':
            result = mlsd(ftp, args[0])
        result['sessionReused'] = getattr(ftp, 'data_session_reused', None)
        result['tlsVersion'] = ftp.sock.version()
    else:
        ftp = plain_client(port)
        if action == 'mlsd':
            result = mlsd(ftp, args[0])
        elif action == 'retr':
            result = retr(ftp, args[0], args[1], int(args[2]) if len(args) > 2 else None)
        elif action == 'retrlines':
            lines = []
            ftp.retrlines('RETR ' + args[0], lines.append)
            result = {'lines': lines}
        elif action == 'stor':
            result = stor(ftp, args[0], args[1])
        elif action == 'nlst':
            result = {'names': ftp.nlst(*args)}
        elif action == 'rename':
            result = {'renamed': ftp.rename(args[0], args[1])}
        elif action == 'abort':
            ftp.voidcmd('TYPE I')
            conn = ftp.transfercmd('RETR ' + args[0])
            first = conn.recv(1000)
            # RFC 959 4.1.3: the aborted transfer's 426, then ABOR's own 226. ftplib's abort()
            # returns the first; the second is read here so the session stays in step.
            aborted = ftp.abort()
            conn.close()
            after = ftp.getresp()
            chunks = []
            ftp.retrbinary('RETR ' + args[0], chunks.append)
            result = {'firstBytes': len(first), 'abort': aborted, 'after': after, 'bytes': len(b''.join(chunks))}
        else:
            raise SystemExit('unknown action ' + action)
    result['quit'] = ftp.quit()
    print(json.dumps(result))


if __name__ == '__main__':
    try:
        main(sys.argv)
    except ftplib.Error as error:
        print(json.dumps({'error': str(error)}))
        sys.exit(3)
