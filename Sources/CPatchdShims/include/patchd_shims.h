#ifndef PATCHD_SHIMS_H
#define PATCHD_SHIMS_H
// Small wrappers for Linux socket and pipe calls that Swift's Glibc module does not import (they need _GNU_SOURCE).
#include <sys/types.h>

/// accept4(fd, NULL, NULL, SOCK_CLOEXEC).
int patchd_accept_cloexec(int fd);

/// pipe2(fds, O_CLOEXEC): both ends close on exec, so no child process keeps a copy.
int patchd_pipe_cloexec(int fds[2]);

/// The peer's pid, uid and gid of a connected Unix socket (SO_PEERCRED); 0 on success, -1 with errno.
int patchd_peer_credentials(int fd, pid_t *pid, uid_t *uid, gid_t *gid);

#endif
