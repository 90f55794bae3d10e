#define _GNU_SOURCE
#include <fcntl.h>
#include <stddef.h>
#include <unistd.h>
#include <sys/socket.h>
#include "patchd_shims.h"

int patchd_accept_cloexec(int fd) { return accept4(fd, NULL, NULL, SOCK_CLOEXEC); }

int patchd_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int patchd_peer_credentials(int fd, pid_t *pid, uid_t *uid, gid_t *gid) {
    struct ucred cred;
    socklen_t len = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return -1;
    *pid = cred.pid;
    *uid = cred.uid;
    *gid = cred.gid;
    return 0;
}
