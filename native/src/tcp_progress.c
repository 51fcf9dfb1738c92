/*
 * How many bytes a TCP connection has really moved, as the kernel counts them: the bytes the peer
 * has acknowledged (tcp_info's tcpi_bytes_acked, Linux 4.1+) or the bytes received from it
 * (tcpi_bytes_received, 4.2+).
 *
 * Node's socket timeout sees only Node's own reads and writes. A download to a slow client can sit
 * for minutes with no write from Node while the kernel's send buffer (several MiB once autotuned)
 * drains into the client at its pace; judged by Node's timer alone, that transfer looks stalled.
 * The FTP data timeout asks this count before it gives up (services/ftp/data/transfer.ts), in the
 * transfer's own direction only, so a client cannot keep a download it never reads alive by
 * sending bytes now and then.
 */
#include "tcp_progress.h"

#include <errno.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* tcpBytesMoved(fd, received): a number, or -errno when the kernel cannot tell (not TCP, closed). */
napi_value tcp_bytes_moved(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd = -1;
  bool received = false;
  napi_value result;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_value_bool(env, argv[1], &received) != napi_ok) {
    napi_throw_type_error(env, NULL, "tcpBytesMoved(fd, received)");
    return NULL;
  }
  struct tcp_info tcp;
  socklen_t length = sizeof tcp;
  double moved;
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &tcp, &length) != 0) {
    moved = -(double)errno;
  } else if (length < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof tcp.tcpi_bytes_received) {
    moved = -(double)ENOSYS; /* a kernel older than the counters */
  } else {
    moved = received ? (double)tcp.tcpi_bytes_received : (double)tcp.tcpi_bytes_acked;
  }
  napi_create_double(env, moved, &result);
  return result;
}
