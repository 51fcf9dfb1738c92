#ifndef CLASSICD_SOCKET_POLL_H
#define CLASSICD_SOCKET_POLL_H

#include <uv.h>

/*
 * Polls a socket that Node already watches. libuv keeps one watcher per descriptor, so the poll
 * is made on a dup(2) of it: epoll registers descriptor and open file together, so both see the
 * same socket. Returns the duplicate (the caller closes it after uv_close of the poll), or a
 * negative libuv error with nothing left open and *failed naming the call that failed.
 */
int poll_socket_duplicate(uv_loop_t *loop, uv_poll_t *poll, int socket_fd, const char **failed);

#endif
