#include "socket_poll.h"

#include <errno.h>
#include <unistd.h>

int poll_socket_duplicate(uv_loop_t *loop, uv_poll_t *poll, int socket_fd, const char **failed) {
  int duplicate = dup(socket_fd);
  if (duplicate < 0) {
    *failed = "dup";
    return -errno;
  }
  int status = uv_poll_init(loop, poll, duplicate);
  if (status < 0) {
    close(duplicate);
    *failed = "uv_poll_init";
    return status;
  }
  return duplicate;
}
